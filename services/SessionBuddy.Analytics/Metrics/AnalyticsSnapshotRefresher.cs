using SessionBuddy.Analytics.Reports;

namespace SessionBuddy.Analytics.Metrics;

/// <summary>
/// Every <see cref="Interval"/>: reads the numbers behind the counters and gauges (CPU and memory are the sums of
/// what every process reported: the services as ProcessUsageReported, the gateways with their tool-call timings).
/// </summary>
public sealed partial class AnalyticsSnapshotRefresher(
    ActivityReports reports, PerformanceReport performance, AnalyticsMetrics metrics,
    ILogger<AnalyticsSnapshotRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The window of the response_time gauge.</summary>
    public const int ResponseTimeMinutes = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var current = await performance.ReadAsync(ResponseTimeMinutes, stoppingToken);
                metrics.Update(await reports.SnapshotAsync(current.CpuUsage, current.MemoryUsage, current.ResponseTime, stoppingToken));
            }
            // Only our own stop ends the loop (and the host with it): a canceled broker or database call is retried next tick.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Warning, "Reading the analytics metrics failed; the previous values stay until the next attempt")]
    private partial void LogRefreshFailed(Exception exception);
}
