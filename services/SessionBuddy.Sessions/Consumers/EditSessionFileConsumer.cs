using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class EditSessionFileConsumer(WorkspaceFiles files) : IConsumer<EditSessionFile>
{
    public Task Consume(ConsumeContext<EditSessionFile> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return files.EditAsync(request.SessionId, request.Path, request.Old, request.New, context.CancellationToken);
    });
}
