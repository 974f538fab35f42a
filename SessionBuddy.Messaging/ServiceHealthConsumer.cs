using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SessionBuddy.Contracts.Health;

namespace SessionBuddy.Messaging;

/// <summary>Runs this process's health checks on request, so the gateway can report every service through the bus.</summary>
public sealed class ServiceHealthConsumer(HealthCheckService healthChecks, ServiceIdentity identity) : IConsumer<CheckServiceHealth>
{
    public async Task Consume(ConsumeContext<CheckServiceHealth> context)
    {
        var report = await healthChecks.CheckHealthAsync(context.CancellationToken);
        await context.RespondAsync(new ServiceHealthReport(
            identity.Name,
            report.Status.ToString(),
            $"{Environment.MachineName}:{Environment.ProcessId}",
            report.TotalDuration.TotalMilliseconds,
            report.Entries
                .Select(e => new HealthCheckEntry(
                    e.Key, e.Value.Status.ToString(), e.Value.Description ?? e.Value.Exception?.Message, e.Value.Duration.TotalMilliseconds))
                .ToList()));
    }
}
