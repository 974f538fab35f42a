using MassTransit;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Messaging.Telemetry;

namespace SessionBuddy.Gateway.Analytics;

/// <summary>
/// Every <see cref="Interval"/>, publishes this replica's tool-call timings and its own CPU and memory to
/// Analytics (get_performance_metrics). Each replica reports for itself; Analytics combines them. A window lost
/// with a crashing gateway is lost telemetry, never an acknowledged write.
/// </summary>
public sealed partial class ToolCallReporter(ToolCallTimings timings, IBus bus, ILogger<ToolCallReporter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly ProcessUsageSampler _sampler = new("gateway");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var windowStart = DateTimeOffset.UtcNow;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var (calls, samples) = timings.TakeWindow();
            var usage = _sampler.Sample();
            try
            {
                await bus.Publish(new ToolCallsTimed(usage.Instance, windowStart, usage.SampledAt, calls, samples, usage), stoppingToken);
            }
            // Only our own stop ends the loop (and the host with it): a canceled broker or database call is retried next tick.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPublishFailed(ex, calls);
            }
            windowStart = usage.SampledAt;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Publishing tool-call timings failed; {Calls} calls of this window are not reported")]
    private partial void LogPublishFailed(Exception exception, long calls);
}
