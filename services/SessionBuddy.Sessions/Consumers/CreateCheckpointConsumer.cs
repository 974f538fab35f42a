using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class CreateCheckpointConsumer(SessionLifecycle lifecycle) : IConsumer<CreateCheckpoint>
{
    public Task Consume(ConsumeContext<CreateCheckpoint> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return lifecycle.CheckpointAsync(request.OperationId, request.SessionId, request.Summary, context.CancellationToken);
    });
}
