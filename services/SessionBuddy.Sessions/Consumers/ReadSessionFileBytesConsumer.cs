using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ReadSessionFileBytesConsumer(WorkspaceFiles files) : IConsumer<ReadSessionFileBytes>
{
    public Task Consume(ConsumeContext<ReadSessionFileBytes> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return files.ReadBytesAsync(request.SessionId, request.Path, context.CancellationToken);
    });
}
