using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class GetSessionConsumer(SessionStore store) : IConsumer<GetSession>
{
    public async Task Consume(ConsumeContext<GetSession> context) =>
        await context.RespondAsync(await store.GetAsync(context.Message.SessionId, context.CancellationToken));
}
