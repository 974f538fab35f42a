using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetSessionLogConsumer(SessionStore store, SessionWorkspaces workspaces) : IConsumer<GetSessionLog>
{
    public Task Consume(ConsumeContext<GetSessionLog> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return SessionOutput.LogAsync(store, workspaces, request.SessionId, SessionRules.Tail(request.Tail), context.CancellationToken);
    });
}
