using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionBuddy.Contracts.Analytics;

namespace SessionBuddy.Messaging.Telemetry;

/// <summary>
/// Every <see cref="Interval"/>, publishes this process's CPU and memory to Analytics (get_performance_metrics)
/// as <see cref="ProcessUsageReported"/>. Registered for every service by
/// <see cref="ServiceBusExtensions.AddServiceBus"/>; the gateways send theirs with their tool-call timings.
/// A sample is telemetry, not state: it is published directly and non-durably (no outbox row, no disk write at
/// the broker); a lost one is replaced by the next a few seconds later.
/// </summary>
public sealed partial class ProcessUsageReporter(ServiceIdentity identity, IBus bus, ILogger<ProcessUsageReporter> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly ProcessUsageSampler _sampler = new(identity.Name);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first sample comes one interval after start-up, so its CPU is measured over a whole interval.
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await bus.Publish(new ProcessUsageReported(_sampler.Sample()), context => context.Durable = false, stoppingToken);
            }
            // Only our own stop ends the loop (and the host with it): a canceled broker or database call is retried next tick.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPublishFailed(ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "Publishing this process's CPU and memory failed; the next sample is sent at the next interval")]
    private partial void LogPublishFailed(Exception exception);
}
