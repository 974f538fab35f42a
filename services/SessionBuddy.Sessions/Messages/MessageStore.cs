using Npgsql;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Messages;

/// <summary>
/// The <c>messages</c> table: a session's messages, strictly ordered by their sequence number. The database gives each
/// inserted message the next number of its session and counts it in the session's row (migration 0003), so adding a
/// message is one statement that touches only this table and the outbox.
/// </summary>
public sealed class MessageStore(NpgsqlDataSource dataSource, Outbox outbox, SessionStore sessions)
{
    private const string MessageColumns = "id, session_id, sequence, role, content, created_at";

    /// <summary>
    /// One statement, so one round trip and one implicit transaction: a message already stored under this operation
    /// id is returned as it is; otherwise the message is inserted (its sequence number given by the database, the
    /// session row locked meanwhile) and its MessageAdded event written to the outbox. An unknown session inserts
    /// nothing.
    /// </summary>
    private const string AddSql =
        $"""
        WITH existing AS (
            SELECT {MessageColumns} FROM messages WHERE operation_id = @operation_id
        ), inserted AS (
            INSERT INTO messages (id, operation_id, session_id, sequence, role, content, created_at)
            SELECT @id, @operation_id, @session_id, 0, @role, @content, @created_at
            WHERE NOT EXISTS (SELECT FROM existing)
            RETURNING {MessageColumns}
        ), event AS (
            INSERT INTO outbox_messages (id, message_type, payload)
            SELECT @outbox_id, @outbox_type, @outbox_payload FROM inserted
        )
        SELECT * FROM inserted
        UNION ALL
        SELECT * FROM existing
        """;

    public async Task<MessageDetails> AddAsync(Guid operationId, Guid sessionId, string role, string content, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var createdAt = DatabaseTime.Now();

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(AddSql, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("operation_id", operationId);
        command.Parameters.AddWithValue("session_id", sessionId);
        command.Parameters.AddWithValue("role", role);
        command.Parameters.AddWithValue("content", content);
        command.Parameters.AddWithValue("created_at", createdAt);
        Outbox.AddRowParameters(command.Parameters, new MessageAdded(sessionId, id, role, content.Length, createdAt));

        List<MessageDetails> stored;
        try
        {
            stored = await ReadAsync(command, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "messages_operation_id_key")
        {
            // The same operation was applied concurrently (a retry racing a redelivery); nothing of ours was kept.
            return (await FindByOperationAsync(connection, operationId, ct))!;
        }

        if (stored.Count == 0)
        {
            throw RequestRejectedException.NotFound("session_id", $"no session with id {sessionId}");
        }
        if (stored[0].Id == id)
        {
            outbox.NotifyCommitted();
        }
        return stored[0];
    }

    public async Task<MessagePage> GetPageAsync(Guid sessionId, int limit, string? cursor, CancellationToken ct)
    {
        var after = PageCursor.ParseMessage(cursor) ?? 0;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await sessions.RequireAsync(connection, null, sessionId, ct);

        await using var command = new NpgsqlCommand(
            $"""
            SELECT {MessageColumns} FROM messages
            WHERE session_id = @session_id AND sequence > @after
            ORDER BY sequence
            LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("session_id", sessionId);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit + 1);
        var messages = await ReadAsync(command, ct);
        string? nextCursor = null;
        if (messages.Count > limit)
        {
            messages.RemoveAt(limit);
            nextCursor = PageCursor.ForMessage(messages[^1].Sequence);
        }
        return new MessagePage(sessionId, messages, nextCursor);
    }

    /// <summary>Every message of the session in order, as of the caller's transaction (handoffs and exports).</summary>
    public async Task<List<MessageDetails>> ReadAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {MessageColumns} FROM messages WHERE session_id = @id ORDER BY sequence", connection, transaction);
        command.Parameters.AddWithValue("id", sessionId);
        return await ReadAsync(command, ct);
    }

    private static async Task<MessageDetails?> FindByOperationAsync(NpgsqlConnection connection, Guid operationId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {MessageColumns} FROM messages WHERE operation_id = @operation_id", connection);
        command.Parameters.AddWithValue("operation_id", operationId);
        var found = await ReadAsync(command, ct);
        return found.Count == 0 ? null : found[0];
    }

    private static async Task<List<MessageDetails>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var rows = new List<MessageDetails>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new MessageDetails(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return rows;
    }
}
