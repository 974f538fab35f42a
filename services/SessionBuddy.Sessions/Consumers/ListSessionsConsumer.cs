using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ListSessionsConsumer(SessionStore store) : IConsumer<ListSessions>
{
    public async Task Consume(ConsumeContext<ListSessions> context)
    {
        var request = context.Message;
        var page = await store.ListAsync(
            SessionRules.Project(request.Project),
            request.Status is null ? null : SessionRules.Status(request.Status),
            SessionRules.Limit(request.Limit),
            request.Cursor,
            context.CancellationToken);
        await context.RespondAsync(page);
    }
}
