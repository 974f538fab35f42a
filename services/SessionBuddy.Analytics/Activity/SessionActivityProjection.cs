using Npgsql;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Analytics.Activity;

/// <summary>
/// Applies session events to <c>session_activity</c>. Each event (or batch of events) is applied in one
/// transaction together with its inbox rows, so a redelivered event changes nothing. Events of one session may
/// arrive in any order (they travel on different queues), hence upserts everywhere.
/// </summary>
public sealed class SessionActivityProjection(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// A batch of SessionCreated events: one upsert for all of them (every worker task creates a session, so
    /// these come in bursts).
    /// </summary>
    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, SessionCreated Created)> events, CancellationToken ct) => ApplyBatchAsync(
        events, nameof(SessionCreated),
        """
        INSERT INTO session_activity (session_id, name, project, created_at, last_activity)
        SELECT s.id, s.name, s.project, s.at, s.at FROM unnest(@ids, @names, @projects, @ats) AS s (id, name, project, at)
        ON CONFLICT (session_id) DO UPDATE SET name = excluded.name, project = excluded.project, created_at = excluded.created_at
        """,
        (accepted, p) =>
        {
            var rows = accepted.GroupBy(c => c.SessionId).Select(g => g.Last()).OrderBy(c => c.SessionId).ToList();
            p.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            p.AddWithValue("names", rows.Select(r => r.Name).ToArray());
            p.AddWithValue("projects", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, rows.Select(r => r.Project).ToArray());
            p.AddWithValue("ats", rows.Select(r => r.CreatedAt).ToArray());
        }, ct);

    /// <summary>
    /// A batch of MessageAdded events: one upsert adding up the accepted events per session (every
    /// add_message publishes one).
    /// </summary>
    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, MessageAdded Added)> events, CancellationToken ct) => ApplyBatchAsync(
        events, nameof(MessageAdded),
        """
        INSERT INTO session_activity (session_id, message_count, content_chars, last_activity)
        SELECT * FROM unnest(@ids, @messages, @chars, @ats)
        ON CONFLICT (session_id) DO UPDATE SET
            message_count = session_activity.message_count + excluded.message_count,
            content_chars = session_activity.content_chars + excluded.content_chars,
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """,
        (accepted, p) =>
        {
            var rows = accepted.GroupBy(a => a.SessionId)
                .Select(g => (SessionId: g.Key, Messages: (long)g.Count(), Chars: g.Sum(a => (long)a.ContentLength), At: g.Max(a => a.CreatedAt)))
                .OrderBy(r => r.SessionId).ToList();
            p.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            p.AddWithValue("messages", rows.Select(r => r.Messages).ToArray());
            p.AddWithValue("chars", rows.Select(r => r.Chars).ToArray());
            p.AddWithValue("ats", rows.Select(r => r.At).ToArray());
        }, ct);

    public Task ApplyAsync(Guid messageId, SessionDeleted deleted, CancellationToken ct) => ApplyAsync(
        messageId, nameof(SessionDeleted),
        """
        INSERT INTO session_activity (session_id, deleted_at) VALUES (@id, @at)
        ON CONFLICT (session_id) DO UPDATE SET deleted_at = excluded.deleted_at
        """,
        p =>
        {
            p.AddWithValue("id", deleted.SessionId);
            p.AddWithValue("at", deleted.DeletedAt);
        }, ct);

    private async Task ApplyAsync(Guid messageId, string consumer, string sql, Action<NpgsqlParameterCollection> bind, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await Inbox.TryAcceptAsync(connection, transaction, messageId, consumer, ct))
        {
            return;
        }
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        bind(command.Parameters);
        await command.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// A batch in one transaction: one inbox statement takes each message id once (a repeat in the batch or
    /// an id applied before counts once), then one statement applies the accepted events. Statements bind one
    /// row per session (an upsert may not touch a row twice), in session id order so concurrent batches lock alike.
    /// </summary>
    private async Task ApplyBatchAsync<TEvent>(IReadOnlyList<(Guid MessageId, TEvent Event)> events, string consumer, string sql,
        Action<IReadOnlyList<TEvent>, NpgsqlParameterCollection> bind, CancellationToken ct)
    {
        var byId = new Dictionary<Guid, TEvent>();
        foreach (var (messageId, evt) in events)
        {
            byId.TryAdd(messageId, evt);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], consumer, ct);
        if (accepted.Count > 0)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            bind([.. accepted.Select(id => byId[id])], command.Parameters);
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
