using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>PoolResultsCollected: a pool shut down with its results.</summary>
public sealed class PoolRunAnalyticsHandler(WorkerActivityProjection projection) : IConsumer<Batch<PoolResultsCollected>>
{
    public Task Consume(ConsumeContext<Batch<PoolResultsCollected>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class PoolRunAnalyticsHandlerDefinition : EventBatchDefinition<PoolRunAnalyticsHandler>;
