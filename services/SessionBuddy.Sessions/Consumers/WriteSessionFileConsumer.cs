using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class WriteSessionFileConsumer(WorkspaceFiles files) : IConsumer<WriteSessionFile>
{
    public Task Consume(ConsumeContext<WriteSessionFile> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return files.WriteAsync(request.SessionId, request.Path, request.Content, context.CancellationToken);
    });
}
