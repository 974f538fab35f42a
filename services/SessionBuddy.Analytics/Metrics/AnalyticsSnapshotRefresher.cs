using SessionBuddy.Analytics.Projections;
using SessionBuddy.Analytics.Reports;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Analytics.Metrics;

/// <summary>
/// Every <see cref="Interval"/>: records this process's CPU and memory (Analytics reports its own usage; the
/// gateways report theirs with their tool-call timings), then reads the numbers behind the counters and gauges.
/// </summary>
public sealed partial class AnalyticsSnapshotRefresher(
    ActivityReports reports, PerformanceReport performance, ToolCallProjection usage, AnalyticsMetrics metrics,
    ILogger<AnalyticsSnapshotRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The window of the response_time gauge.</summary>
    public const int ResponseTimeMinutes = 5;

    private readonly ProcessUsageSampler _sampler = new(Contracts.Health.ServiceNames.Analytics);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await usage.RecordOwnUsageAsync(_sampler.Sample(), stoppingToken);
                var current = await performance.ReadAsync(ResponseTimeMinutes, stoppingToken);
                metrics.Update(await reports.SnapshotAsync(current.CpuUsage, current.MemoryUsage, current.ResponseTime, stoppingToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Warning, "Reading the analytics metrics failed; the previous values stay until the next attempt")]
    private partial void LogRefreshFailed(Exception exception);
}
