using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ResumeSessionConsumer(SessionLifecycle lifecycle) : IConsumer<ResumeSession>
{
    public Task Consume(ConsumeContext<ResumeSession> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.ResumeAsync(request.SessionId, request.CheckpointId, context.CancellationToken);
    });
}
