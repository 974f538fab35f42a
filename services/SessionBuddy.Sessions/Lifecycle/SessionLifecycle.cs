using System.Text.Json;
using Npgsql;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;
using SessionBuddy.Sessions.Checkpoints;
using SessionBuddy.Sessions.Messages;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Lifecycle;

/// <summary>
/// start, checkpoint, end, status, resume and export: each runs one transaction over the stores that own the tables
/// (sessions, checkpoints, messages), and each change commits with its integration events (outbox); checkpoint and
/// end are applied once per operation id; start is idempotent through create_session's operation id and a
/// conditional status change. Owns no table.
/// </summary>
public sealed class SessionLifecycle(
    NpgsqlDataSource dataSource,
    Outbox outbox,
    SessionStore sessions,
    MessageStore messages,
    CheckpointStore checkpoints,
    SessionWorkspaces workspaces,
    WorkspaceFiles files,
    WorkingDirectoryProbe probe)
{
    public const string HandoffFileName = "handoff.md";
    private const int MaxSummaryLength = 20_000;

    public async Task<SessionDetails> StartAsync(Guid operationId, string? workingDirectory, string? project, CancellationToken ct)
    {
        var directory = WorkingDirectory(workingDirectory);
        var name = Path.GetFileName(directory.TrimEnd('/')) is { Length: > 0 } leaf ? leaf : directory;
        var created = await sessions.CreateAsync(operationId, name, project, directory, "{}", ct);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var session = await sessions.LockAsync(connection, transaction, created.Id, ct);
        if (session.Status is not (SessionStatuses.Created or SessionStatuses.Starting))
        {
            // A redelivered start: the first delivery already started it.
            return session;
        }
        var running = await sessions.ChangeStatusAsync(connection, transaction, created.Id, session.Status, SessionStatuses.Running, ct);
        await outbox.EnqueueAsync(connection, transaction, new SessionStarted(running.Id, directory, project, running.UpdatedAt), ct);
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();

        workspaces.Log(running.WorkspaceDir, $"status {session.Status} → {SessionStatuses.Starting}");
        workspaces.Log(running.WorkspaceDir, $"status {SessionStatuses.Starting} → {SessionStatuses.Running} (working directory {directory})");
        await sessions.MirrorAsync(running, ct);
        return running;
    }

    public async Task<CheckpointDetails> CheckpointAsync(Guid operationId, Guid sessionId, string? summary, CancellationToken ct)
    {
        summary = Summary(summary);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (await checkpoints.FindByOperationAsync(connection, operationId, ct) is { } existing)
        {
            return existing;
        }
        var signals = await probe.ProbeAsync((await sessions.GetAsync(sessionId, ct)).WorkingDirectory, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        CheckpointDetails checkpoint;
        SessionDetails session;
        try
        {
            session = await LockRunningAsync(connection, transaction, sessionId, ct);
            checkpoint = await checkpoints.InsertAsync(connection, transaction, operationId, session, summary, signals, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "checkpoints_operation_id_key")
        {
            // The same operation was applied concurrently (a retry racing a redelivery).
            await transaction.RollbackAsync(ct);
            return (await checkpoints.FindByOperationAsync(connection, operationId, ct))!;
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
        if (await checkpoints.FindByOperationAsync(connection, operationId, ct) is { } existing)
        {
            var ended = await sessions.GetAsync(existing.SessionId, ct);
            return new SessionHandoff(ended, existing, Path.Combine(ended.OutputDir, HandoffFileName));
        }
        var signals = await probe.ProbeAsync((await sessions.GetAsync(sessionId, ct)).WorkingDirectory, ct);

        await using var transaction = await connection.BeginTransactionAsync(ct);
        var session = await LockRunningAsync(connection, transaction, sessionId, ct);
        var final = await checkpoints.InsertAsync(connection, transaction, operationId, session, summary, signals, ct);
        var completed = await sessions.ChangeStatusAsync(connection, transaction, sessionId, session.Status, SessionStatuses.Completed, ct);

        var handoffPath = Path.Combine(completed.OutputDir, HandoffFileName);
        // Written before commit: if the commit fails, a retry rewrites it; a committed end always has its handoff.
        Directory.CreateDirectory(completed.OutputDir);
        await File.WriteAllTextAsync(handoffPath, SessionMarkdown.Handoff(completed, summary,
            await checkpoints.ReadAllAsync(connection, transaction, sessionId, ct), await messages.ReadAllAsync(connection, transaction, sessionId, ct)), ct);

        await outbox.EnqueueAsync(connection, transaction, new SessionEnded(
            sessionId, final.QualityScore, handoffPath, completed.UpdatedAt, completed.Name, completed.Project, summary,
            Math.Max(0, (completed.UpdatedAt - completed.CreatedAt).TotalSeconds)), ct);
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
        var list = (await ListCheckpointsAsync(sessionId, ct)).Checkpoints;
        BackendHealth health;
        try
        {
            var (backend, _) = await files.OpenAsync(sessionId, ct);
            health = await backend.CheckHealthAsync(ct);
        }
        catch (RequestRejectedException ex) when (ex.Rejection.Code == Contracts.RejectionCodes.Unavailable)
        {
            health = await files.UnhealthyAsync(sessionId, ex.Rejection.Message, ct);
        }
        return new SessionStatusReport(session, list.Count, list.Count == 0 ? null : list[^1], [.. list.Select(c => c.QualityScore)], health);
    }

    public async Task<CheckpointList> ListCheckpointsAsync(Guid sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await sessions.RequireAsync(connection, transaction, sessionId, ct);
        return new CheckpointList(sessionId, await checkpoints.ReadAllAsync(connection, transaction, sessionId, ct));
    }

    /// <summary>Reopens a session (running again) and returns the checkpoint to continue from: the given one or the last.</summary>
    public async Task<SessionResumption> ResumeAsync(Guid sessionId, Guid? checkpointId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var session = await sessions.LockAsync(connection, transaction, sessionId, ct);
        var all = await checkpoints.ReadAllAsync(connection, transaction, sessionId, ct);
        var checkpoint = all.Count == 0 ? null : all[^1];
        if (checkpointId is { } wanted)
        {
            checkpoint = all.FirstOrDefault(c => c.Id == wanted)
                ?? throw RequestRejectedException.NotFound("checkpoint_id", $"session {sessionId} has no checkpoint {wanted}; see list_checkpoints");
        }
        var resumed = await sessions.ChangeStatusAsync(connection, transaction, sessionId, session.Status, SessionStatuses.Running, ct);
        await outbox.EnqueueAsync(connection, transaction, new SessionResumed(sessionId, checkpoint?.Id, resumed.UpdatedAt), ct);
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();

        workspaces.Log(resumed.WorkspaceDir, $"resumed from {(checkpoint is null ? "no checkpoint" : $"checkpoint {checkpoint.Sequence}")}; status {session.Status} → running");
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
        var document = new SessionExportDocument(1, await sessions.GetAsync(connection, transaction, sessionId, ct),
            await messages.ReadAllAsync(connection, transaction, sessionId, ct), await checkpoints.ReadAllAsync(connection, transaction, sessionId, ct));
        // snake_case like tool results; read it back with the same options.
        var content = format == ExportFormats.Json ? JsonSerializer.Serialize(document, CheckpointStore.Json) : SessionMarkdown.Export(document);
        return new SessionExport(sessionId, format, content);
    }

    /// <summary>The session, locked for the transaction, refused unless it is running (checkpoints and end need that).</summary>
    private async Task<SessionDetails> LockRunningAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        var session = await sessions.LockAsync(connection, transaction, sessionId, ct);
        return session.Status == SessionStatuses.Running
            ? session
            : throw RequestRejectedException.InvalidArgument("session_id",
                $"session {sessionId} is {session.Status}; checkpoints and end need a running session (start it, or resume_session)");
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
