using Npgsql;

namespace SessionBuddy.ServiceDefaults.Data;

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
}
