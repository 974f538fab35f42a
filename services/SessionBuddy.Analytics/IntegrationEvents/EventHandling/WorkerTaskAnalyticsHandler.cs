using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>WorkerTaskCompleted in batches: pools finish many tasks at once.</summary>
public sealed class WorkerTaskAnalyticsHandler(WorkerActivityProjection projection) : IConsumer<Batch<WorkerTaskCompleted>>
{
    public Task Consume(ConsumeContext<Batch<WorkerTaskCompleted>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class WorkerTaskAnalyticsHandlerDefinition : EventBatchDefinition<WorkerTaskAnalyticsHandler>;
