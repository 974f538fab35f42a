using MassTransit;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

public sealed class CreateSessionConsumer(SessionStore store, SessionRules rules) : IConsumer<CreateSession>
{
    public async Task Consume(ConsumeContext<CreateSession> context)
    {
        var request = context.Message;
        var session = await store.CreateAsync(
            request.OperationId,
            rules.Name(request.Name),
            SessionRules.Project(request.Project),
            string.IsNullOrWhiteSpace(request.WorkingDirectory) ? null : request.WorkingDirectory,
            SessionRules.Metadata(request.Metadata),
            context.CancellationToken);
        await context.RespondAsync(session);
    }
}
