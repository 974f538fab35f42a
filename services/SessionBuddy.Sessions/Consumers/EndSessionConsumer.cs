using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class EndSessionConsumer(SessionLifecycle lifecycle) : IConsumer<EndSession>
{
    public Task Consume(ConsumeContext<EndSession> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.EndAsync(request.OperationId, request.SessionId, request.Summary, context.CancellationToken);
    });
}
