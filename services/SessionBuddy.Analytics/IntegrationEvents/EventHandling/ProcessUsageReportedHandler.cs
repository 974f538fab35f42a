using SessionBuddy.Analytics.Projections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>
/// ProcessUsageReported: every service process (Analytics included) reports its CPU and memory every few seconds.
/// Not through the inbox: the upsert keeps the newest sample per process, so a redelivered one changes nothing.
/// </summary>
public sealed class ProcessUsageReportedHandler(ToolCallProjection projection) : IConsumer<Batch<ProcessUsageReported>>
{
    public Task Consume(ConsumeContext<Batch<ProcessUsageReported>> context) =>
        projection.RecordUsageAsync([.. context.Message.Select(m => m.Message.Usage)], context.CancellationToken);
}

public sealed class ProcessUsageReportedHandlerDefinition : EventBatchDefinition<ProcessUsageReportedHandler>;
