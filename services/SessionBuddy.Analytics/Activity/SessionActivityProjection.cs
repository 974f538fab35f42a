using Npgsql;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Analytics.Activity;

/// <summary>
/// Applies session events to <c>session_activity</c>. Each event is applied in one transaction
/// together with its inbox row, so a redelivered event changes nothing. Events of one session may
/// arrive in any order (they travel on different queues), hence upserts everywhere.
/// </summary>
public sealed class SessionActivityProjection(NpgsqlDataSource dataSource)
{
    public Task ApplyAsync(Guid messageId, SessionCreated created, CancellationToken ct) => ApplyAsync(
        messageId, nameof(SessionCreated),
        """
        INSERT INTO session_activity (session_id, name, project, created_at, last_activity)
        VALUES (@id, @name, @project, @at, @at)
        ON CONFLICT (session_id) DO UPDATE SET name = excluded.name, project = excluded.project, created_at = excluded.created_at
        """,
        p =>
        {
            p.AddWithValue("id", created.SessionId);
            p.AddWithValue("name", created.Name);
            p.AddWithValue("project", (object?)created.Project ?? DBNull.Value);
            p.AddWithValue("at", created.CreatedAt);
        }, ct);

    public Task ApplyAsync(Guid messageId, MessageAdded added, CancellationToken ct) => ApplyAsync(
        messageId, nameof(MessageAdded),
        """
        INSERT INTO session_activity (session_id, message_count, content_chars, last_activity)
        VALUES (@id, 1, @chars, @at)
        ON CONFLICT (session_id) DO UPDATE SET
            message_count = session_activity.message_count + 1,
            content_chars = session_activity.content_chars + excluded.content_chars,
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """,
        p =>
        {
            p.AddWithValue("id", added.SessionId);
            p.AddWithValue("chars", (long)added.ContentLength);
            p.AddWithValue("at", added.CreatedAt);
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
}
