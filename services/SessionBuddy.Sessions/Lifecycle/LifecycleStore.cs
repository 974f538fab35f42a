using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Lifecycle;

/// <summary>
/// start, checkpoint, end, status, resume: each change and its integration event commit together
/// (outbox); checkpoint and end are applied once per operation id; start is idempotent through
/// create_session's operation id and a conditional status change.
/// </summary>
public sealed class LifecycleStore(
    NpgsqlDataSource dataSource,
    Outbox outbox,
    SessionStore sessions,
    SessionWorkspaces workspaces,
    WorkspaceFiles files,
    WorkingDirectoryProbe probe)
{
    public const string HandoffFileName = "handoff.md";
    private const int MaxSummaryLength = 20_000;
    private const string CheckpointColumns = "id, session_id, sequence, summary, quality_score, quality_breakdown::text, state::text, created_at";

    /// <summary>How the JSON export is written (snake_case, like tool results); read it back with the same options.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<SessionDetails> StartAsync(Guid operationId, string? workingDirectory, string? project, CancellationToken ct)
    {
        var directory = WorkingDirectory(workingDirectory);
        var name = Path.GetFileName(directory.TrimEnd('/')) is { Length: > 0 } leaf ? leaf : directory;
        var created = await sessions.CreateAsync(operationId, name, project, directory, "{}", ct);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var status = await SessionStore.LockStatusAsync(connection, transaction, created.Id, ct);
        if (status is not (SessionStatuses.Created or SessionStatuses.Starting))
        {
            // A redelivered start: the first delivery already started it.
            return await sessions.GetAsync(created.Id, ct);
        }
        await using var update = new NpgsqlCommand(
            $"UPDATE sessions SET status = 'running', started_at = now(), updated_at = now() WHERE id = @id RETURNING {SessionStore.SessionColumns}",
            connection, transaction);
        update.Parameters.AddWithValue("id", created.Id);
        var running = (await SessionStore.ReadSingleAsync(update, ct))!;
        await outbox.EnqueueAsync(connection, transaction, new SessionStarted(running.Id, directory, project, running.UpdatedAt), ct);
        await sessions.EnqueueStatusChangesAsync(connection, transaction, [(running.Id, status, SessionStatuses.Running)], ct);
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();

        workspaces.Log(running.WorkspaceDir, $"status {status} → {SessionStatuses.Starting}");
        workspaces.Log(running.WorkspaceDir, $"status {SessionStatuses.Starting} → {SessionStatuses.Running} (working directory {directory})");
        await sessions.MirrorAsync(running, ct);
        return running;
    }

    public async Task<CheckpointDetails> CheckpointAsync(Guid operationId, Guid sessionId, string? summary, CancellationToken ct)
    {
        summary = Summary(summary);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (await FindCheckpointByOperationAsync(connection, operationId, ct) is { } existing)
        {
            return existing;
        }
        var session = await sessions.GetAsync(sessionId, ct);
        var signals = await probe.ProbeAsync(session.WorkingDirectory, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        CheckpointDetails checkpoint;
        try
        {
            checkpoint = await InsertCheckpointAsync(connection, transaction, operationId, sessionId, session.Project, summary, signals, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "checkpoints_operation_id_key")
        {
            // The same operation was applied concurrently (a retry racing a redelivery).
            await transaction.RollbackAsync(ct);
            return (await FindCheckpointByOperationAsync(connection, operationId, ct))!;
        }
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();
        workspaces.Log(session.WorkspaceDir, $"checkpoint {checkpoint.Sequence}: quality {checkpoint.QualityScore}/100");
        return checkpoint;
    }

    public async Task<SessionHandoff> EndAsync(Guid operationId, Guid sessionId, string? summary, CancellationToken ct)
    {
        summary = Summary(summary);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (await FindCheckpointByOperationAsync(connection, operationId, ct) is { } existing)
        {
            var ended = await sessions.GetAsync(existing.SessionId, ct);
            return new SessionHandoff(ended, existing, Path.Combine(ended.OutputDir, HandoffFileName));
        }
        var session = await sessions.GetAsync(sessionId, ct);
        var signals = await probe.ProbeAsync(session.WorkingDirectory, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        var final = await InsertCheckpointAsync(connection, transaction, operationId, sessionId, session.Project, summary, signals, ct);
        await using var update = new NpgsqlCommand(
            $"UPDATE sessions SET status = 'completed', ended_at = now(), updated_at = now() WHERE id = @id RETURNING {SessionStore.SessionColumns}",
            connection, transaction);
        update.Parameters.AddWithValue("id", sessionId);
        var completed = (await SessionStore.ReadSingleAsync(update, ct))!;

        var checkpoints = await ReadCheckpointsAsync(connection, transaction, sessionId, ct);
        var messages = await ReadMessagesAsync(connection, transaction, sessionId, ct);
        var handoffPath = Path.Combine(completed.OutputDir, HandoffFileName);
        // Written before commit: if the commit fails, a retry rewrites it; a committed end always has its handoff.
        Directory.CreateDirectory(completed.OutputDir);
        await File.WriteAllTextAsync(handoffPath, SessionMarkdown.Handoff(completed, summary, checkpoints, messages), ct);

        await outbox.EnqueueAsync(connection, transaction, new SessionEnded(
            sessionId, final.QualityScore, handoffPath, completed.UpdatedAt, completed.Name, completed.Project, summary,
            Math.Max(0, (completed.UpdatedAt - completed.CreatedAt).TotalSeconds)), ct);
        await sessions.EnqueueStatusChangesAsync(connection, transaction, [(sessionId, SessionStatuses.Running, SessionStatuses.Completed)], ct);
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();
        workspaces.Log(completed.WorkspaceDir, $"checkpoint {final.Sequence}: quality {final.QualityScore}/100");
        workspaces.Log(completed.WorkspaceDir, $"status {SessionStatuses.Running} → {SessionStatuses.Completed}; handoff {handoffPath}");
        await sessions.MirrorAsync(completed, ct);
        return new SessionHandoff(completed, final, handoffPath);
    }

    public async Task<SessionStatusReport> StatusAsync(Guid sessionId, CancellationToken ct)
    {
        var session = await sessions.GetAsync(sessionId, ct);
        var checkpoints = await ListCheckpointsAsync(sessionId, ct);
        BackendHealth health;
        try
        {
            var (backend, _) = await files.OpenAsync(sessionId, ct);
            health = await backend.CheckHealthAsync(ct);
        }
        catch (RequestRejectedException ex) when (ex.Rejection.Code == Contracts.RejectionCodes.Unavailable)
        {
            health = await UnhealthyBackendAsync(sessionId, ex.Rejection.Message, ct);
        }
        var list = checkpoints.Checkpoints;
        return new SessionStatusReport(session, list.Count, list.Count == 0 ? null : list[^1], [.. list.Select(c => c.QualityScore)], health);
    }

    public async Task<CheckpointList> ListCheckpointsAsync(Guid sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await RequireSessionAsync(connection, transaction, sessionId, ct);
        return new CheckpointList(sessionId, await ReadCheckpointsAsync(connection, transaction, sessionId, ct));
    }

    /// <summary>Reopens a session (running again) and returns the checkpoint to continue from: the given one or the last.</summary>
    public async Task<SessionResumption> ResumeAsync(Guid sessionId, Guid? checkpointId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var status = await SessionStore.LockStatusAsync(connection, transaction, sessionId, ct);
        var checkpoints = await ReadCheckpointsAsync(connection, transaction, sessionId, ct);
        CheckpointDetails? checkpoint = checkpoints.Count == 0 ? null : checkpoints[^1];
        if (checkpointId is { } wanted)
        {
            checkpoint = checkpoints.FirstOrDefault(c => c.Id == wanted)
                ?? throw RequestRejectedException.NotFound("checkpoint_id", $"session {sessionId} has no checkpoint {wanted}; see list_checkpoints");
        }
        await using var update = new NpgsqlCommand(
            $"UPDATE sessions SET status = 'running', ended_at = NULL, started_at = COALESCE(started_at, now()), updated_at = now() WHERE id = @id RETURNING {SessionStore.SessionColumns}",
            connection, transaction);
        update.Parameters.AddWithValue("id", sessionId);
        var resumed = (await SessionStore.ReadSingleAsync(update, ct))!;
        await outbox.EnqueueAsync(connection, transaction, new SessionResumed(sessionId, checkpoint?.Id, resumed.UpdatedAt), ct);
        if (status != SessionStatuses.Running)
        {
            await sessions.EnqueueStatusChangesAsync(connection, transaction, [(sessionId, status, SessionStatuses.Running)], ct);
        }
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();

        workspaces.Log(resumed.WorkspaceDir, $"resumed from {(checkpoint is null ? "no checkpoint" : $"checkpoint {checkpoint.Sequence}")}; status {status} → running");
        await sessions.MirrorAsync(resumed, ct);
        var handoff = Path.Combine(resumed.OutputDir, HandoffFileName);
        return new SessionResumption(resumed, checkpoint, File.Exists(handoff) ? handoff : null);
    }

    public async Task<SessionExport> ExportAsync(Guid sessionId, string? format, CancellationToken ct)
    {
        if (format is null || !ExportFormats.All.Contains(format))
        {
            throw RequestRejectedException.InvalidArgument("format", $"'{format}' is not one of {string.Join(", ", ExportFormats.All)}");
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One snapshot: session, messages and checkpoints as of the same moment.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using var select = new NpgsqlCommand($"SELECT {SessionStore.SessionColumns} FROM sessions WHERE id = @id", connection, transaction);
        select.Parameters.AddWithValue("id", sessionId);
        var session = await SessionStore.ReadSingleAsync(select, ct) ?? throw SessionStore.SessionNotFound(sessionId);
        var document = new SessionExportDocument(1, session,
            await ReadMessagesAsync(connection, transaction, sessionId, ct), await ReadCheckpointsAsync(connection, transaction, sessionId, ct));
        var content = format == ExportFormats.Json ? JsonSerializer.Serialize(document, Json) : SessionMarkdown.Export(document);
        return new SessionExport(sessionId, format, content);
    }

    private async Task<CheckpointDetails> InsertCheckpointAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid operationId, Guid sessionId, string? project, string? summary,
        WorkingDirectorySignals signals, CancellationToken ct)
    {
        var status = await SessionStore.LockStatusAsync(connection, transaction, sessionId, ct);
        if (status != SessionStatuses.Running)
        {
            throw RequestRejectedException.InvalidArgument("session_id",
                $"session {sessionId} is {status}; checkpoints and end need a running session (start it, or resume_session)");
        }
        long messages;
        long prior;
        await using (var counts = new NpgsqlCommand(
            "SELECT message_count, (SELECT count(*) FROM checkpoints WHERE session_id = @id) FROM sessions WHERE id = @id", connection, transaction))
        {
            counts.Parameters.AddWithValue("id", sessionId);
            await using var reader = await counts.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (messages, prior) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        var assessment = QualityScore.Assess(signals, new SessionActivity(messages, prior));
        var state = JsonSerializer.Serialize(new { status, message_count = messages, working_directory = signals }, Json);

        await using var insert = new NpgsqlCommand(
            $"""
            INSERT INTO checkpoints (id, operation_id, session_id, sequence, summary, quality_score, quality_breakdown, state, created_at)
            VALUES (@id, @operation_id, @session_id, @sequence, @summary, @score, @breakdown, @state, now())
            RETURNING {CheckpointColumns}
            """, connection, transaction);
        insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
        insert.Parameters.AddWithValue("operation_id", operationId);
        insert.Parameters.AddWithValue("session_id", sessionId);
        insert.Parameters.AddWithValue("sequence", prior + 1);
        insert.Parameters.AddWithValue("summary", NpgsqlDbType.Text, (object?)summary ?? DBNull.Value);
        insert.Parameters.AddWithValue("score", assessment.Score);
        var breakdown = JsonSerializer.Serialize(assessment.Breakdown, Json);
        insert.Parameters.AddWithValue("breakdown", NpgsqlDbType.Jsonb, breakdown);
        insert.Parameters.AddWithValue("state", NpgsqlDbType.Jsonb, state);
        var checkpoint = (await ReadCheckpointRowsAsync(insert, ct))[0];
        await outbox.EnqueueAsync(connection, transaction,
            new CheckpointCreated(sessionId, checkpoint.Id, checkpoint.Sequence, checkpoint.QualityScore, checkpoint.CreatedAt,
                Encoding.UTF8.GetByteCount(summary ?? "") + Encoding.UTF8.GetByteCount(state) + Encoding.UTF8.GetByteCount(breakdown), project), ct);
        return checkpoint;
    }

    private static async Task<CheckpointDetails?> FindCheckpointByOperationAsync(NpgsqlConnection connection, Guid operationId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {CheckpointColumns} FROM checkpoints WHERE operation_id = @operation_id", connection);
        command.Parameters.AddWithValue("operation_id", operationId);
        var rows = await ReadCheckpointRowsAsync(command, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<List<CheckpointDetails>> ReadCheckpointsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {CheckpointColumns} FROM checkpoints WHERE session_id = @id ORDER BY sequence", connection, transaction);
        command.Parameters.AddWithValue("id", sessionId);
        return await ReadCheckpointRowsAsync(command, ct);
    }

    private static async Task<List<MessageDetails>> ReadMessagesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, session_id, sequence, role, content, created_at FROM messages WHERE session_id = @id ORDER BY sequence",
            connection, transaction);
        command.Parameters.AddWithValue("id", sessionId);
        return await SessionStore.ReadMessagesAsync(command, ct);
    }

    private static async Task<List<CheckpointDetails>> ReadCheckpointRowsAsync(NpgsqlCommand command, CancellationToken ct)
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

    private static async Task RequireSessionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM sessions WHERE id = @id", connection, transaction);
        exists.Parameters.AddWithValue("id", sessionId);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            throw SessionStore.SessionNotFound(sessionId);
        }
    }

    private async Task<BackendHealth> UnhealthyBackendAsync(Guid sessionId, string detail, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT b.name, b.kind FROM sessions s JOIN workspace_backends b ON b.name = s.backend WHERE s.id = @id");
        command.Parameters.AddWithValue("id", sessionId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new BackendHealth(reader.GetString(0), reader.GetString(1), false, detail);
    }

    private static string WorkingDirectory(string? workingDirectory)
    {
        if (string.IsNullOrWhiteSpace(workingDirectory))
        {
            throw RequestRejectedException.InvalidArgument("working_directory", "is required: the absolute path of the directory the session works in");
        }
        if (!Path.IsPathFullyQualified(workingDirectory))
        {
            throw RequestRejectedException.InvalidArgument("working_directory", $"'{workingDirectory}' is not an absolute path");
        }
        var full = Path.GetFullPath(workingDirectory);
        return Directory.Exists(full)
            ? full
            : throw RequestRejectedException.InvalidArgument("working_directory", $"'{workingDirectory}' does not exist or is not a directory");
    }

    private static string? Summary(string? summary) => summary switch
    {
        null => null,
        { Length: > MaxSummaryLength } => throw RequestRejectedException.InvalidArgument(
            "summary", $"is {summary.Length} characters; the limit is {MaxSummaryLength}"),
        _ when summary.Trim().Length == 0 => null,
        _ => summary.Trim(),
    };
}
