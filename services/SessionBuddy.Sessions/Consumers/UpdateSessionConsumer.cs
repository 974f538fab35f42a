using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class UpdateSessionConsumer(SessionStore store, SessionRules rules) : IConsumer<UpdateSession>
{
    public Task Consume(ConsumeContext<UpdateSession> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.UpdateAsync(
            request.SessionId,
            request.Name is null ? null : rules.Name(request.Name),
            request.Status is null ? null : SessionRules.Status(request.Status),
            request.Metadata is null ? null : SessionRules.Metadata(request.Metadata),
            context.CancellationToken);
    });
}
