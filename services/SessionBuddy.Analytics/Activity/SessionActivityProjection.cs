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
    /// A batch of SessionCreated events in one transaction: one inbox statement and one upsert for all
    /// of them (every worker task creates a session, so these come in bursts).
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<(Guid MessageId, SessionCreated Created)> events, CancellationToken ct)
    {
        var byId = new Dictionary<Guid, SessionCreated>();
        foreach (var (messageId, created) in events)
        {
            byId.TryAdd(messageId, created);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], nameof(SessionCreated), ct);
        // One row per session (an upsert may not touch a row twice), in id order so concurrent batches lock alike.
        var rows = accepted.Select(id => byId[id]).GroupBy(c => c.SessionId).Select(g => g.Last()).OrderBy(c => c.SessionId).ToList();
        if (rows.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO session_activity (session_id, name, project, created_at, last_activity)
                SELECT s.id, s.name, s.project, s.at, s.at FROM unnest(@ids, @names, @projects, @ats) AS s (id, name, project, at)
                ON CONFLICT (session_id) DO UPDATE SET name = excluded.name, project = excluded.project, created_at = excluded.created_at
                """, connection, transaction);
            command.Parameters.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            command.Parameters.AddWithValue("names", rows.Select(r => r.Name).ToArray());
            command.Parameters.AddWithValue("projects", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, rows.Select(r => r.Project).ToArray());
            command.Parameters.AddWithValue("ats", rows.Select(r => r.CreatedAt).ToArray());
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// A batch of MessageAdded events in one transaction: one inbox statement, and one upsert adding up the
    /// accepted events per session (every add_message publishes one). A repeated message id counts once.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<(Guid MessageId, MessageAdded Added)> events, CancellationToken ct)
    {
        var byId = new Dictionary<Guid, MessageAdded>();
        foreach (var (messageId, added) in events)
        {
            byId.TryAdd(messageId, added);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], nameof(MessageAdded), ct);
        // One row per session (an upsert may not touch a row twice), in id order so concurrent batches lock alike.
        var rows = accepted.Select(id => byId[id]).GroupBy(a => a.SessionId)
            .Select(g => (SessionId: g.Key, Messages: (long)g.Count(), Chars: g.Sum(a => (long)a.ContentLength), At: g.Max(a => a.CreatedAt)))
            .OrderBy(r => r.SessionId).ToList();
        if (rows.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO session_activity (session_id, message_count, content_chars, last_activity)
                SELECT * FROM unnest(@ids, @messages, @chars, @ats)
                ON CONFLICT (session_id) DO UPDATE SET
                    message_count = session_activity.message_count + excluded.message_count,
                    content_chars = session_activity.content_chars + excluded.content_chars,
                    last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
                """, connection, transaction);
            command.Parameters.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            command.Parameters.AddWithValue("messages", rows.Select(r => r.Messages).ToArray());
            command.Parameters.AddWithValue("chars", rows.Select(r => r.Chars).ToArray());
            command.Parameters.AddWithValue("ats", rows.Select(r => r.At).ToArray());
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

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
}
