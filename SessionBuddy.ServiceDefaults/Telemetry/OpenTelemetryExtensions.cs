using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SessionBuddy.ServiceDefaults.Telemetry;

public static class OpenTelemetryExtensions
{
    /// <summary>
    /// Sources the frameworks emit without an instrumentation package of their own. Not the MCP SDK's: its
    /// tools/call span would repeat SessionBuddy's own tool span (name, outcome) on every call.
    /// </summary>
    private static readonly string[] TraceSources = [SessionBuddyTelemetry.Name, "MassTransit"];

    private static readonly string[] Meters = [SessionBuddyTelemetry.Name, "MassTransit", "Npgsql", "Experimental.ModelContextProtocol"];

    /// <summary>
    /// Traces, metrics and logs over OTLP, configured by the standard OTEL_* variables (Aspire sets
    /// OTEL_EXPORTER_OTLP_ENDPOINT to its dashboard and OTEL_SERVICE_NAME to the resource name).
    /// Spans and metrics are collected only when an endpoint is set: recorded but never exported, they
    /// would cost every request CPU for nothing. Logs carry the trace and span id either way.
    /// Every trace is recorded (OTEL_TRACES_SAMPLER=parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1 keeps
    /// a tenth), less what <see cref="TraceTrimming"/> leaves out.
    /// </summary>
    public static IHostApplicationBuilder ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        // Log records carry the trace and span id of the Activity they are written in. Scopes are left out: they
        // copied the request's ids, path and the trace id again into every record.
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = false;
        });
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName,
                serviceVersion: typeof(OpenTelemetryExtensions).Assembly.GetName().Version?.ToString(),
                serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithTracing(tracing => tracing
                .SetSampler(services => new TraceTrimming.TrimmingSampler(
                    HeadSampler(builder.Configuration), services.GetRequiredService<IOptions<TraceTrimmingOptions>>().Value.UntracedSendSpans))
                .AddProcessor(new TraceTrimming.MassTransitTagTrimmer()) // before the exporter's processor: UseOtlpExporter adds it later
                .AddSource(TraceSources)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsHealthProbe(context))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(Meters)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .UseOtlpExporter();
        return builder;
    }

    /// <summary>The standard OTEL_TRACES_SAMPLER choice this project honours: parentbased_traceidratio; otherwise every trace.</summary>
    private static Sampler HeadSampler(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        configuration["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
            && double.TryParse(configuration["OTEL_TRACES_SAMPLER_ARG"], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ratio)
            ? new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio))
            : new ParentBasedSampler(new AlwaysOnSampler());

    // The AppHost polls /health every few seconds; those spans would bury the real requests.
    private static bool IsHealthProbe(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/alive");
}
