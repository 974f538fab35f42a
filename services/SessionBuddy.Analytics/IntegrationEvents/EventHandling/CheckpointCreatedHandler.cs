using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>CheckpointCreated in batches (checkpoint and end both write one).</summary>
public sealed class CheckpointCreatedHandler(SessionActivityProjection projection) : IConsumer<Batch<CheckpointCreated>>
{
    public Task Consume(ConsumeContext<Batch<CheckpointCreated>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class CheckpointCreatedHandlerDefinition : EventBatchDefinition<CheckpointCreatedHandler>;
