using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetSessionOutputDirConsumer(SessionStore store) : IConsumer<GetSessionOutputDir>
{
    public Task Consume(ConsumeContext<GetSessionOutputDir> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return SessionOutput.DescribeAsync(store, request.SessionId, context.CancellationToken);
    });
}
