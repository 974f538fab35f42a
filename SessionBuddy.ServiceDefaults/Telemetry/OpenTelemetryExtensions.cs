using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace SessionBuddy.ServiceDefaults.Telemetry;

public static class OpenTelemetryExtensions
{
    // Built-in sources: the frameworks emit these without instrumentation packages.
    private static readonly string[] TraceSources =
    [
        SessionBuddyTelemetry.Name,
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "Npgsql",
        "MassTransit",
        "Experimental.ModelContextProtocol",
    ];

    private static readonly string[] Meters =
    [
        SessionBuddyTelemetry.Name,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "System.Net.Http",
        "System.Runtime",
        "Npgsql",
        "MassTransit",
        "Experimental.ModelContextProtocol",
    ];

    public static IHostApplicationBuilder ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        void DescribeService(ResourceBuilder resource) => resource.AddService(
            serviceName,
            serviceVersion: typeof(OpenTelemetryExtensions).Assembly.GetName().Version?.ToString(),
            serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}");

        // Spans, metrics and OpenTelemetry log records are collected only for an OTLP endpoint: recorded
        // but never exported, they would cost every request CPU (tens of activities, tagged measurements)
        // for nothing. Without one, logs still go to the console and the SDK is still in the container.
        if (exportOtlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                var resource = ResourceBuilder.CreateEmpty();
                DescribeService(resource);
                logging.SetResourceBuilder(resource);
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
                logging.AddOtlpExporter();
            });
        }

        // OpenTelemetry.Extensions.Hosting is not obtainable here, so the SDK is created
        // directly and owned by the container (disposed, and so flushed, at shutdown).
        builder.Services.AddSingleton(_ => OpenTelemetrySdk.Create(otel =>
        {
            otel.ConfigureResource(DescribeService);
            if (exportOtlp)
            {
                otel.WithTracing(tracing => tracing.AddSource(TraceSources).AddOtlpExporter());
                otel.WithMetrics(metrics => metrics.AddMeter(Meters).AddOtlpExporter());
            }
        }));
        builder.Services.AddHostedService<TelemetryActivation>();
        return builder;
    }

    /// <summary>Resolves the SDK at start-up so listeners exist before the first request.</summary>
    private sealed class TelemetryActivation(OpenTelemetrySdk sdk) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            sdk.TracerProvider.ForceFlush(2_000);
            sdk.MeterProvider.ForceFlush(2_000);
            return Task.CompletedTask;
        }
    }
}
