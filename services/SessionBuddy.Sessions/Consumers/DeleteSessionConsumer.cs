using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class DeleteSessionConsumer(SessionStore store) : IConsumer<DeleteSession>
{
    public Task Consume(ConsumeContext<DeleteSession> context) =>
        context.RespondWithAsync(() => store.DeleteAsync(context.Message.SessionId, context.CancellationToken));
}
