using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>MessageAdded in batches: every add_message publishes one, hundreds a second under load.</summary>
public sealed class MessageAddedHandler(SessionActivityProjection projection) : IConsumer<Batch<MessageAdded>>
{
    public Task Consume(ConsumeContext<Batch<MessageAdded>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class MessageAddedHandlerDefinition : EventBatchDefinition<MessageAddedHandler>;
