using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class AddMessageConsumer(SessionStore store, SessionRules rules) : IConsumer<AddMessage>
{
    public async Task Consume(ConsumeContext<AddMessage> context)
    {
        var request = context.Message;
        var message = await store.AddMessageAsync(
            request.OperationId,
            request.SessionId,
            SessionRules.Role(request.Role),
            rules.Content(request.Content),
            context.CancellationToken);
        await context.RespondAsync(message);
    }
}
