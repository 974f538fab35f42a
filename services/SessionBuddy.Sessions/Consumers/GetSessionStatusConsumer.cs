using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetSessionStatusConsumer(SessionLifecycle lifecycle) : IConsumer<GetSessionStatus>
{
    public Task Consume(ConsumeContext<GetSessionStatus> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.StatusAsync(request.SessionId, context.CancellationToken);
    });
}
