using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ListSessionsConsumer(SessionStore store) : IConsumer<ListSessions>
{
    public Task Consume(ConsumeContext<ListSessions> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.ListAsync(
            SessionRules.Project(request.Project),
            request.Status is null ? null : SessionRules.Status(request.Status),
            SessionRules.Limit(request.Limit),
            request.Cursor,
            context.CancellationToken);
    });
}
