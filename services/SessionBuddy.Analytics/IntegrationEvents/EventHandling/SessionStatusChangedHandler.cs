using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>SessionStatusChanged in batches: worker tasks move their sessions through created, running and completed or failed.</summary>
public sealed class SessionStatusChangedHandler(SessionActivityProjection projection) : IConsumer<Batch<SessionStatusChanged>>
{
    public Task Consume(ConsumeContext<Batch<SessionStatusChanged>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class SessionStatusChangedHandlerDefinition : EventBatchDefinition<SessionStatusChangedHandler>;
