using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

public sealed class MessageAddedHandler(SessionActivityProjection projection) : IConsumer<MessageAdded>
{
    public Task Consume(ConsumeContext<MessageAdded> context) =>
        projection.ApplyAsync(context.MessageId!.Value, context.Message, context.CancellationToken);
}
