using SessionBuddy.Contracts.Memory;

namespace SessionBuddy.Memory.Optimization;

/// <summary>
/// Runs the memory optimisation every <see cref="OptimizationOptions.Interval"/>. With several replicas,
/// a replica skips its turn when another finished a run within the last half interval.
/// </summary>
public sealed partial class ScheduledOptimization(MemoryOptimizer optimizer, OptimizationOptions options, ILogger<ScheduledOptimization> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled || options.Interval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await optimizer.LastFinishedAsync(stoppingToken) is { } last && DateTimeOffset.UtcNow - last < options.Interval / 2)
                {
                    continue;
                }
                await optimizer.RunAsync(OptimizationTriggers.Schedule, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Scheduled memory optimisation failed; the next run retries")]
    private partial void LogFailed(Exception exception);
}
