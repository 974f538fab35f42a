using SessionBuddy.Analytics.Projections;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>SessionCreated in batches: worker pools create a session per task, hundreds a second.</summary>
public sealed class SessionCreatedHandler(SessionActivityProjection projection) : IConsumer<Batch<SessionCreated>>
{
    public Task Consume(ConsumeContext<Batch<SessionCreated>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class SessionCreatedHandlerDefinition : EventBatchDefinition<SessionCreatedHandler>;
