using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class DeleteSessionConsumer(SessionStore store) : IConsumer<DeleteSession>
{
    public async Task Consume(ConsumeContext<DeleteSession> context) =>
        await context.RespondAsync(await store.DeleteAsync(context.Message.SessionId, context.CancellationToken));
}
