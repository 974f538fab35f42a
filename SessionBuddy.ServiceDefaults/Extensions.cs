using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.ServiceDefaults;

/// <summary>
/// What every SessionBuddy process gets in one call: configuration sources, OpenTelemetry
/// traces/metrics/logs, and the /health and /alive endpoints. Database and bus wiring are
/// separate calls (<see cref="Data.ServiceDatabaseExtensions"/> here; the bus, outbox and inbox in SessionBuddy.Messaging)
/// because the gateway has no database, and ServiceDefaults knows no message contracts.
/// </summary>
public static class Extensions
{
    public const string EnvironmentPrefix = "SESSION_BUDDY_";
    private const string LivenessTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // SESSION_BUDDY_Sessions__MaxContentLength=... overrides Sessions:MaxContentLength.
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);

        builder.ConfigureOpenTelemetry();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LivenessTag]);

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Readiness: every registered check (database, bus, ...).
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync });
        // Liveness: only the process itself, so a slow dependency never gets it restarted.
        app.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LivenessTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        return app;
    }
}
