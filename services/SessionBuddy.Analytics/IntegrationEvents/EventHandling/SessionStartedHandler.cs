using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>SessionStarted in batches.</summary>
public sealed class SessionStartedHandler(SessionActivityProjection projection) : IConsumer<Batch<SessionStarted>>
{
    public Task Consume(ConsumeContext<Batch<SessionStarted>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class SessionStartedHandlerDefinition : EventBatchDefinition<SessionStartedHandler>;
