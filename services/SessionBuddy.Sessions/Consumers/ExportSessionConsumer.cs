using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ExportSessionConsumer(SessionLifecycle lifecycle) : IConsumer<ExportSession>
{
    public Task Consume(ConsumeContext<ExportSession> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.ExportAsync(request.SessionId, request.Format, context.CancellationToken);
    });
}
