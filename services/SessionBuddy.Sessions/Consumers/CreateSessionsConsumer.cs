using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

/// <summary>Creates several sessions in one transaction; an invalid one refuses the whole batch, storing nothing.</summary>
public sealed class CreateSessionsConsumer(SessionStore store, SessionRules rules) : IConsumer<CreateSessions>
{
    public const int MaxBatch = 100;

    public Task Consume(ConsumeContext<CreateSessions> context) => context.RespondWithAsync(async () =>
    {
        var requested = context.Message.Sessions ?? [];
        if (requested.Count is 0 or > MaxBatch)
        {
            throw RequestRejectedException.InvalidArgument("sessions", $"give 1..{MaxBatch} sessions per request, got {requested.Count}");
        }
        var sessions = requested.Select(request => new NewSession(
            request.OperationId,
            rules.Name(request.Name),
            SessionRules.Project(request.Project),
            string.IsNullOrWhiteSpace(request.WorkingDirectory) ? null : request.WorkingDirectory,
            SessionRules.Metadata(request.Metadata))).ToList();
        return new SessionBatch(await store.CreateManyAsync(sessions, context.CancellationToken));
    });
}
