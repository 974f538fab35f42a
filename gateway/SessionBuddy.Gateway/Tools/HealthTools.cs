using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SessionBuddy.Contracts.Health;

namespace SessionBuddy.Gateway.Tools;

public sealed record LivenessReport(string Status, string Instance, double UptimeSeconds, string Version);

public sealed record ReadinessReport(string Status, IReadOnlyList<HealthCheckEntry> Checks);

public sealed record SuiteHealthReport(string Status, int Healthy, int Total, IReadOnlyList<ServiceHealthReport> Services);

/// <summary>Health of the gateway itself and, through the bus, of every service.</summary>
[McpServerToolType]
public sealed class HealthTools(IClientFactory clients, HealthCheckService healthChecks)
{
    private static readonly TimeSpan ServiceTimeout = TimeSpan.FromSeconds(5);

    [McpServerTool(Name = "get_liveness", UseStructuredContent = true, ReadOnly = true)]
    [Description("Is the gateway process alive.")]
    public LivenessReport GetLiveness()
    {
        var process = Process.GetCurrentProcess();
        return new LivenessReport(
            "alive",
            $"{Environment.MachineName}:{Environment.ProcessId}",
            Math.Round((DateTime.Now - process.StartTime).TotalSeconds, 1),
            typeof(HealthTools).Assembly.GetName().Version?.ToString() ?? "unknown");
    }

    [McpServerTool(Name = "get_readiness", UseStructuredContent = true, ReadOnly = true)]
    [Description("Is the gateway ready to serve: its own health checks, including its bus connection.")]
    public async Task<ReadinessReport> GetReadiness(CancellationToken cancellationToken = default)
    {
        var report = await healthChecks.CheckHealthAsync(cancellationToken);
        return new ReadinessReport(
            report.Status.ToString(),
            report.Entries.Select(e => new HealthCheckEntry(
                e.Key, e.Value.Status.ToString(), e.Value.Description ?? e.Value.Exception?.Message, e.Value.Duration.TotalMilliseconds)).ToList());
    }

    [McpServerTool(Name = "health_check_all", UseStructuredContent = true, ReadOnly = true)]
    [Description("Ask every service (sessions, memory, analytics, workerpool, akoshasync) for its health through the bus.")]
    public async Task<SuiteHealthReport> HealthCheckAll(CancellationToken cancellationToken = default)
    {
        var reports = await Task.WhenAll(ServiceNames.All.Select(service => CheckAsync(service, cancellationToken)));
        var healthy = reports.Count(r => r.Status == nameof(HealthStatus.Healthy));
        var status = healthy == reports.Length ? nameof(HealthStatus.Healthy) : nameof(HealthStatus.Unhealthy);
        return new SuiteHealthReport(status, healthy, reports.Length, reports);
    }

    private async Task<ServiceHealthReport> CheckAsync(string service, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var client = clients.CreateRequestClient<CheckServiceHealth>(
                new Uri($"queue:{ServiceNames.HealthQueue(service)}"), RequestTimeout.After(s: (int)ServiceTimeout.TotalSeconds));
            var response = await client.GetResponse<ServiceHealthReport>(new CheckServiceHealth(), cancellationToken);
            return response.Message;
        }
        catch (RequestTimeoutException)
        {
            return new ServiceHealthReport(service, nameof(HealthStatus.Unhealthy), "none",
                Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                [new HealthCheckEntry("bus", nameof(HealthStatus.Unhealthy), $"no reply within {ServiceTimeout.TotalSeconds:0}s", 0)]);
        }
    }
}
