using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Consumers;

/// <summary>Applies several updates in one transaction; an invalid argument refuses the whole batch, storing nothing.</summary>
public sealed class UpdateSessionsConsumer(SessionStore store, SessionRules rules) : IConsumer<UpdateSessions>
{
    public Task Consume(ConsumeContext<UpdateSessions> context) => context.RespondWithAsync(async () =>
    {
        var requested = context.Message.Updates ?? [];
        if (requested.Count is 0 or > CreateSessionsConsumer.MaxBatch)
        {
            throw RequestRejectedException.InvalidArgument("updates", $"give 1..{CreateSessionsConsumer.MaxBatch} updates per request, got {requested.Count}");
        }
        var changes = requested.Select(request => new SessionChange(
            request.SessionId,
            request.Name is null ? null : rules.Name(request.Name),
            request.Status is null ? null : SessionRules.Status(request.Status),
            request.Metadata is null ? null : SessionRules.Metadata(request.Metadata))).ToList();
        return new SessionBatch(await store.UpdateManyAsync(changes, context.CancellationToken));
    });
}
