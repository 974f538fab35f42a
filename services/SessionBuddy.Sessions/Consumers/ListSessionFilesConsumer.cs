using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ListSessionFilesConsumer(WorkspaceFiles files) : IConsumer<ListSessionFiles>
{
    public Task Consume(ConsumeContext<ListSessionFiles> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return files.ListAsync(request.SessionId, request.Path, context.CancellationToken);
    });
}
