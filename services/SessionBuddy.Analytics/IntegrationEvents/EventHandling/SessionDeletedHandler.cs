using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

public sealed class SessionDeletedHandler(SessionActivityProjection projection) : IConsumer<SessionDeleted>
{
    public Task Consume(ConsumeContext<SessionDeleted> context) =>
        projection.ApplyAsync(context.MessageId!.Value, context.Message, context.CancellationToken);
}
