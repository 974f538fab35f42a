using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class ListCheckpointsConsumer(SessionLifecycle lifecycle) : IConsumer<ListCheckpoints>
{
    public Task Consume(ConsumeContext<ListCheckpoints> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.ListCheckpointsAsync(request.SessionId, context.CancellationToken);
    });
}
