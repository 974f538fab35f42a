using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Lifecycle;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Consumers;

public sealed class CleanupSessionsConsumer(SessionStore store) : IConsumer<CleanupSessions>
{
    public Task Consume(ConsumeContext<CleanupSessions> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.CleanupAsync(SessionRules.OlderThanHours(request.OlderThanHours), context.CancellationToken);
    });
}
