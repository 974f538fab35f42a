using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetSessionConsumer(SessionStore store) : IConsumer<GetSession>
{
    public Task Consume(ConsumeContext<GetSession> context) =>
        context.RespondWithAsync(() => store.GetAsync(context.Message.SessionId, context.CancellationToken));
}
