using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetMessagesConsumer(SessionStore store) : IConsumer<GetMessages>
{
    public Task Consume(ConsumeContext<GetMessages> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.GetMessagesAsync(request.SessionId, SessionRules.Limit(request.Limit), request.Cursor, context.CancellationToken);
    });
}
