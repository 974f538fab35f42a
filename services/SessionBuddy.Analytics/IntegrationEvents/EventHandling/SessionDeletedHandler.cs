using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>SessionDeleted in batches (cleanup_sessions deletes many at once).</summary>
public sealed class SessionDeletedHandler(SessionActivityProjection projection) : IConsumer<Batch<SessionDeleted>>
{
    public Task Consume(ConsumeContext<Batch<SessionDeleted>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class SessionDeletedHandlerDefinition : EventBatchDefinition<SessionDeletedHandler>;
