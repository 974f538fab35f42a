using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Messages;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetMessagesConsumer(MessageStore messages) : IConsumer<GetMessages>
{
    public Task Consume(ConsumeContext<GetMessages> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return messages.GetPageAsync(request.SessionId, SessionRules.Limit(request.Limit), request.Cursor, context.CancellationToken);
    });
}
