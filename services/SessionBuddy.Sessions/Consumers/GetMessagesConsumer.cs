using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetMessagesConsumer(SessionStore store) : IConsumer<GetMessages>
{
    public async Task Consume(ConsumeContext<GetMessages> context)
    {
        var request = context.Message;
        var page = await store.GetMessagesAsync(
            request.SessionId, SessionRules.Limit(request.Limit), request.Cursor, context.CancellationToken);
        await context.RespondAsync(page);
    }
}
