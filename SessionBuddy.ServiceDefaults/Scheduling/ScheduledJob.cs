using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SessionBuddy.ServiceDefaults.Scheduling;

/// <summary>
/// A job that runs once per <see cref="Interval"/> across all replicas of a service: every replica wakes at
/// each slot boundary (slots aligned to the Unix epoch) and the one that claims the slot in
/// <see cref="ScheduledRuns"/> runs it. Needs the service database (<c>AddServiceDatabase</c>).
/// </summary>
public abstract partial class ScheduledJob(ScheduledRuns runs, ILogger logger) : BackgroundService
{
    /// <summary>The job's name in <c>scheduled_runs</c>; the same on every replica.</summary>
    protected abstract string JobName { get; }

    /// <summary>The slot length; zero or less turns the schedule off.</summary>
    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunAsync(DateTimeOffset slotStart, CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            // The slot is the one aimed at, even if the timer fires a moment early.
            var slotStart = ScheduledRuns.SlotStart(now, interval) + interval;
            try
            {
                await Task.Delay(slotStart - now, stoppingToken);
                if (await runs.TryClaimAsync(JobName, slotStart, interval, stoppingToken))
                {
                    await RunAsync(slotStart, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRunFailed(ex, JobName, slotStart);
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Scheduled job {Job} failed in the slot starting {SlotStart}; the next slot runs again")]
    private partial void LogRunFailed(Exception exception, string job, DateTimeOffset slotStart);
}
