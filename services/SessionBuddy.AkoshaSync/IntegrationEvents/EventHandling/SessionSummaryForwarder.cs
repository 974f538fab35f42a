using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// With Akosha:ForwardSessionSummaries, every session ended with a summary is queued for the hub (name, project,
/// summary, quality, duration) in the transaction that records the messages in the inbox; the session id and end time
/// are the idempotency key (a resumed session that ends again is pushed again). A session ended without a summary has
/// nothing to search for and is not forwarded.
/// </summary>
public sealed class SessionSummaryForwarder(NpgsqlDataSource dataSource, PushSignal signal, IOptions<AkoshaOptions> options)
    : IConsumer<Batch<SessionEnded>>
{
    public Task Consume(ConsumeContext<Batch<SessionEnded>> context) =>
        !options.Value.ForwardSessionSummaries || !options.Value.Configured
            ? Task.CompletedTask
            : ForwardedEvents.QueueAsync(context, dataSource, signal, nameof(SessionSummaryForwarder), async (connection, transaction, events, ct) =>
            {
                var sessions = events
                    .Where(s => !string.IsNullOrWhiteSpace(s.Summary))
                    .Select(s => new AkoshaSessionSummary(s.SessionId, s.Name, s.Project, s.Summary!, s.QualityScore, s.DurationSeconds, s.EndedAt))
                    .ToList();
                await PushQueueStore.EnqueueSessionSummariesAsync(connection, transaction, sessions, ct);
                return sessions.Count;
            });
}

public sealed class SessionSummaryForwarderDefinition : EventBatchDefinition<SessionSummaryForwarder>;
