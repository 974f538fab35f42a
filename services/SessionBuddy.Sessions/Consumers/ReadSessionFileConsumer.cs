using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ReadSessionFileConsumer(WorkspaceFiles files) : IConsumer<ReadSessionFile>
{
    public Task Consume(ConsumeContext<ReadSessionFile> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return files.ReadAsync(request.SessionId, request.Path, context.CancellationToken);
    });
}
