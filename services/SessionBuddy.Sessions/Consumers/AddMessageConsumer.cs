using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class AddMessageConsumer(SessionStore store, SessionRules rules) : IConsumer<AddMessage>
{
    public Task Consume(ConsumeContext<AddMessage> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.AddMessageAsync(
            request.OperationId,
            request.SessionId,
            SessionRules.Role(request.Role),
            rules.Content(request.Content),
            context.CancellationToken);
    });
}
