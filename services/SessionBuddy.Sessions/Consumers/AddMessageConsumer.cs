using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Messages;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class AddMessageConsumer(MessageStore messages, SessionRules rules) : IConsumer<AddMessage>
{
    public Task Consume(ConsumeContext<AddMessage> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return messages.AddAsync(
            request.OperationId,
            request.SessionId,
            SessionRules.Role(request.Role),
            rules.Content(request.Content),
            context.CancellationToken);
    });
}
