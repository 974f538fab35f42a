using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

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
    public async Task Consume(ConsumeContext<Batch<SessionEnded>> context)
    {
        if (!options.Value.ForwardSessionSummaries || !options.Value.Configured)
        {
            return;
        }
        var ct = context.CancellationToken;
        var byId = new Dictionary<Guid, SessionEnded>();
        foreach (var message in context.Message)
        {
            byId.TryAdd(message.MessageId ?? throw new InvalidOperationException("SessionEnded without a message id"), message.Message);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], nameof(SessionSummaryForwarder), ct);
        var sessions = accepted.Select(id => byId[id])
            .Where(s => !string.IsNullOrWhiteSpace(s.Summary))
            .Select(s => new AkoshaSessionSummary(s.SessionId, s.Name, s.Project, s.Summary!, s.QualityScore, s.DurationSeconds, s.EndedAt))
            .ToList();
        await PushQueueStore.EnqueueSessionSummariesAsync(connection, transaction, sessions, ct);
        await transaction.CommitAsync(ct);
        if (sessions.Count > 0)
        {
            signal.Notify();
        }
    }
}

public sealed class SessionSummaryForwarderDefinition : EventBatchDefinition<SessionSummaryForwarder>;
