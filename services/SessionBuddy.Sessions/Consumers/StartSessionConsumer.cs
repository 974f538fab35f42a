using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class StartSessionConsumer(SessionLifecycle lifecycle) : IConsumer<StartSession>
{
    public Task Consume(ConsumeContext<StartSession> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.StartAsync(request.OperationId, request.WorkingDirectory, SessionRules.Project(request.Project), context.CancellationToken);
    });
}
