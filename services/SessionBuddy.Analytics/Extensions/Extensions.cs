using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SessionBuddy.Analytics.Metrics;
using SessionBuddy.Analytics.Projections;
using SessionBuddy.Analytics.Reports;
using SessionBuddy.Contracts.Health;
using SessionBuddy.Messaging;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Analytics.Extensions;

internal static class Extensions
{
    public const string PrometheusPath = "/metrics";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventBatches>();
        builder.Services.AddSingleton<SessionActivityProjection>();
        builder.Services.AddSingleton<WorkerActivityProjection>();
        builder.Services.AddSingleton<ToolCallProjection>();
        builder.Services.AddSingleton<AuditLogStore>();
        builder.Services.AddSingleton<ActivityReports>();
        builder.Services.AddSingleton<PerformanceReport>();
        builder.Services.AddSingleton<InsightRules>();
        builder.Services.AddSingleton<AnalyticsQueryCatalog>();
        builder.Services.AddSingleton<AnalyticsExporter>();
        builder.Services.AddSingleton<AnalyticsMetrics>();
        builder.Services.AddHostedService<AnalyticsSnapshotRefresher>();

        // The session_buddy.* meter has its own provider: scraped in Prometheus format at /metrics, and sent over
        // OTLP (to the Aspire dashboard) when OTEL_EXPORTER_OTLP_ENDPOINT is set.
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddSingleton(sp =>
        {
            sp.GetRequiredService<AnalyticsMetrics>();
            var metrics = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName,
                    serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
                .AddMeter(AnalyticsMetrics.MeterName)
                .AddPrometheusExporter();
            if (exportOtlp)
            {
                metrics.AddOtlpExporter();
            }
            return metrics.Build();
        });

        builder.AddServiceDatabase("analyticsdb", typeof(Extensions).Assembly);
        builder.AddOutbox();
        builder.AddServiceBus(ServiceNames.Analytics, bus => bus.AddConsumers(typeof(Extensions).Assembly));
    }

    public static WebApplication MapAnalyticsEndpoints(this WebApplication app)
    {
        app.UseOpenTelemetryPrometheusScrapingEndpoint(app.Services.GetRequiredService<MeterProvider>(), null, PrometheusPath, null, null);
        return app;
    }
}
