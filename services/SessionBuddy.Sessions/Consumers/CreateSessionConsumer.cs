using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class CreateSessionConsumer(SessionStore store, SessionRules rules) : IConsumer<CreateSession>
{
    public Task Consume(ConsumeContext<CreateSession> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.CreateAsync(
            request.OperationId,
            rules.Name(request.Name),
            SessionRules.Project(request.Project),
            string.IsNullOrWhiteSpace(request.WorkingDirectory) ? null : request.WorkingDirectory,
            SessionRules.Metadata(request.Metadata),
            context.CancellationToken);
    });
}
