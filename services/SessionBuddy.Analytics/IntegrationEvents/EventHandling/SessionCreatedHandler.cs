using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

public sealed class SessionCreatedHandler(SessionActivityProjection projection) : IConsumer<SessionCreated>
{
    public Task Consume(ConsumeContext<SessionCreated> context) =>
        projection.ApplyAsync(context.MessageId!.Value, context.Message, context.CancellationToken);
}
