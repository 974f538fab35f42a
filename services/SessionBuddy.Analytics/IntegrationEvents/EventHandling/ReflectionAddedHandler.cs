using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>ReflectionAdded in batches (worker pools store one memory per finished task).</summary>
public sealed class ReflectionAddedHandler(SessionActivityProjection projection) : IConsumer<Batch<ReflectionAdded>>
{
    public Task Consume(ConsumeContext<Batch<ReflectionAdded>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class ReflectionAddedHandlerDefinition : EventBatchDefinition<ReflectionAddedHandler>;
