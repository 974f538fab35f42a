using Npgsql;

namespace SessionBuddy.Messaging.Data;

/// <summary>
/// Makes an event consumer idempotent: inside the transaction that applies the event, record its
/// MessageId; a redelivery finds the row and is skipped.
/// </summary>
public static class Inbox
{
    /// <returns>True when this consumer has not seen the message before and should apply it.</returns>
    public static async Task<bool> TryAcceptAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid messageId, string consumer, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO inbox_messages (message_id, consumer) VALUES (@id, @consumer) ON CONFLICT DO NOTHING",
            connection, transaction);
        command.Parameters.AddWithValue("id", messageId);
        command.Parameters.AddWithValue("consumer", consumer);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The batch form of <see cref="TryAcceptAsync"/>: the ids of the messages to apply (first seen now).</summary>
    public static async Task<IReadOnlyList<Guid>> TryAcceptManyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<Guid> messageIds, string consumer, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO inbox_messages (message_id, consumer)
            SELECT id, @consumer FROM unnest(@ids) AS m(id) ORDER BY id -- one lock order for concurrent batches
            ON CONFLICT DO NOTHING RETURNING message_id
            """,
            connection, transaction);
        command.Parameters.AddWithValue("ids", messageIds.ToArray());
        command.Parameters.AddWithValue("consumer", consumer);
        var accepted = new List<Guid>(messageIds.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            accepted.Add(reader.GetGuid(0));
        }
        return accepted;
    }
}
