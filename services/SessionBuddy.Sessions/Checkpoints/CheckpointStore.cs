using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.Sessions.Checkpoints;

/// <summary>
/// The <c>checkpoints</c> table: a session's numbered checkpoints with their quality assessment. Checkpoints are
/// written inside the lifecycle's transactions (checkpoint, end), each with its CheckpointCreated event.
/// </summary>
public sealed class CheckpointStore(Outbox outbox)
{
    private const string CheckpointColumns = "id, session_id, sequence, summary, quality_score, quality_breakdown::text, state::text, created_at";

    /// <summary>How checkpoint breakdowns and state are written (snake_case, like tool results).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The next checkpoint of a session locked by the caller's transaction, assessed from its activity and working directory.</summary>
    public async Task<CheckpointDetails> InsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid operationId, SessionDetails session, string? summary,
        WorkingDirectorySignals signals, CancellationToken ct)
    {
        long prior;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM checkpoints WHERE session_id = @id", connection, transaction))
        {
            count.Parameters.AddWithValue("id", session.Id);
            prior = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        var assessment = QualityScore.Assess(signals, new SessionActivity(session.MessageCount, prior));
        var state = JsonSerializer.Serialize(new { status = session.Status, message_count = session.MessageCount, working_directory = signals }, Json);

        await using var insert = new NpgsqlCommand(
            $"""
            INSERT INTO checkpoints (id, operation_id, session_id, sequence, summary, quality_score, quality_breakdown, state, created_at)
            VALUES (@id, @operation_id, @session_id, @sequence, @summary, @score, @breakdown, @state, now())
            RETURNING {CheckpointColumns}
            """, connection, transaction);
        insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
        insert.Parameters.AddWithValue("operation_id", operationId);
        insert.Parameters.AddWithValue("session_id", session.Id);
        insert.Parameters.AddWithValue("sequence", prior + 1);
        insert.Parameters.AddWithValue("summary", NpgsqlDbType.Text, (object?)summary ?? DBNull.Value);
        insert.Parameters.AddWithValue("score", assessment.Score);
        var breakdown = JsonSerializer.Serialize(assessment.Breakdown, Json);
        insert.Parameters.AddWithValue("breakdown", NpgsqlDbType.Jsonb, breakdown);
        insert.Parameters.AddWithValue("state", NpgsqlDbType.Jsonb, state);
        var checkpoint = (await ReadAsync(insert, ct))[0];
        await outbox.EnqueueAsync(connection, transaction,
            new CheckpointCreated(session.Id, checkpoint.Id, checkpoint.Sequence, checkpoint.QualityScore, checkpoint.CreatedAt,
                Encoding.UTF8.GetByteCount(summary ?? "") + Encoding.UTF8.GetByteCount(state) + Encoding.UTF8.GetByteCount(breakdown), session.Project), ct);
        return checkpoint;
    }

    /// <summary>The checkpoint written by an operation applied before (a retried or redelivered checkpoint or end).</summary>
    public async Task<CheckpointDetails?> FindByOperationAsync(NpgsqlConnection connection, Guid operationId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {CheckpointColumns} FROM checkpoints WHERE operation_id = @operation_id", connection);
        command.Parameters.AddWithValue("operation_id", operationId);
        var rows = await ReadAsync(command, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Every checkpoint of the session in order, as of the caller's transaction.</summary>
    public async Task<List<CheckpointDetails>> ReadAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {CheckpointColumns} FROM checkpoints WHERE session_id = @id ORDER BY sequence", connection, transaction);
        command.Parameters.AddWithValue("id", sessionId);
        return await ReadAsync(command, ct);
    }

    private static async Task<List<CheckpointDetails>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var rows = new List<CheckpointDetails>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new CheckpointDetails(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4),
                JsonSerializer.Deserialize<List<QualitySignal>>(reader.GetString(5), Json)!,
                JsonSerializer.Deserialize<JsonElement>(reader.GetString(6)),
                reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return rows;
    }
}
