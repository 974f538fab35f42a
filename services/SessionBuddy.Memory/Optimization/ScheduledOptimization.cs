using SessionBuddy.ServiceDefaults.Scheduling;

namespace SessionBuddy.Memory.Optimization;

/// <summary>
/// Runs the memory optimisation once every <see cref="OptimizationOptions.Interval"/> (slots aligned to the Unix
/// epoch, so at 00:00, 06:00, ... UTC by default), by one replica of the Memory service whichever run.
/// </summary>
public sealed class ScheduledOptimization(MemoryOptimizer optimizer, OptimizationOptions options, ScheduledRuns runs, ILogger<ScheduledOptimization> logger)
    : ScheduledJob(runs, logger)
{
    protected override string JobName => "memory-optimization";

    protected override TimeSpan Interval => options.Enabled ? options.Interval : TimeSpan.Zero;

    protected override Task RunAsync(DateTimeOffset slotStart, CancellationToken cancellationToken) =>
        optimizer.RunAsync(OptimizationTriggers.Schedule, cancellationToken);
}
