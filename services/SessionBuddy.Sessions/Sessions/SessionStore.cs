using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Messaging;
using SessionBuddy.Messaging.Data;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.Sessions.Workspaces;

namespace SessionBuddy.Sessions.Sessions;

/// <summary>A session to create: the caller's operation id and the checked arguments.</summary>
public sealed record NewSession(Guid OperationId, string Name, string? Project, string? WorkingDirectory, string MetadataJson);

/// <summary>One update of a batch: null leaves a field as it is.</summary>
public sealed record SessionChange(Guid SessionId, string? Name, string? Status, string? MetadataJson);

/// <summary>
/// The <c>sessions</c> table, and nothing else reads or writes it: the session rows, their status flow and its
/// SessionStatusChanged events, and the index of where each session's files live (workspace directory, backend).
/// Every write and the integration event describing it commit in one transaction (the outbox), and writes keyed by
/// the caller's operation id are applied once however often they are delivered. Other stores join a transaction
/// through the methods that take a connection and transaction. A session's <c>message_count</c> is kept by the
/// database as messages are inserted (migration 0003).
/// </summary>
public sealed class SessionStore(NpgsqlDataSource dataSource, Outbox outbox, SessionWorkspaces workspaces)
{
    // Metadata merges key by key (jsonb ||); absent arguments leave their column as it is. Running again (resume)
    // clears the end time; running starts the clock once.
    private const string UpdateSql =
        """
        UPDATE sessions SET
            name = COALESCE(@name, name),
            status = COALESCE(@status, status),
            metadata = CASE WHEN @metadata::jsonb IS NULL THEN metadata ELSE metadata || @metadata::jsonb END,
            ended_at = CASE WHEN @status IN ('completed', 'failed') THEN COALESCE(ended_at, now())
                            WHEN @status = 'running' THEN NULL ELSE ended_at END,
            started_at = CASE WHEN @status = 'running' THEN COALESCE(started_at, now()) ELSE started_at END,
            updated_at = now()
        WHERE id = @id
        """;

    // What a SessionStatusChanged carries besides the change itself.
    private const string StatusContextSql = "SELECT id, project, created_at, started_at FROM sessions WHERE id = ANY(@ids)";

    private const string SessionColumns =
        "id, name, project, status, working_directory, workspace_dir, metadata::text, message_count, created_at, updated_at";

    /// <summary>
    /// One statement, so one round trip and one implicit transaction: the row and its SessionCreated event. A session
    /// whose operation was applied before is returned as stored (a second round trip, on redeliveries only).
    /// </summary>
    private const string CreateSql =
        $"""
        WITH created AS (
            INSERT INTO sessions (id, operation_id, name, project, status, working_directory, workspace_dir, metadata, created_at, updated_at)
            VALUES (@id, @operation_id, @name, @project, @status, @working_directory, @workspace_dir, @metadata, @created_at, @created_at)
            ON CONFLICT (operation_id) DO NOTHING
            RETURNING {SessionColumns}
        ), event AS (
            INSERT INTO outbox_messages (id, message_type, payload)
            SELECT @outbox_id, @outbox_type, @outbox_payload FROM created
        )
        SELECT * FROM created
        """;

    public async Task<SessionDetails> CreateAsync(
        Guid operationId, string name, string? project, string? workingDirectory, string metadataJson, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var createdAt = DatabaseTime.Now();
        var workspaceDir = workspaces.Create(id);
        SessionDetails? created;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var insert = new NpgsqlCommand(CreateSql, connection);
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("operation_id", operationId);
            insert.Parameters.AddWithValue("name", name);
            insert.Parameters.AddWithValue("project", NpgsqlDbType.Text, (object?)project ?? DBNull.Value);
            insert.Parameters.AddWithValue("status", SessionStatuses.Created);
            insert.Parameters.AddWithValue("working_directory", NpgsqlDbType.Text, (object?)workingDirectory ?? DBNull.Value);
            insert.Parameters.AddWithValue("workspace_dir", workspaceDir);
            insert.Parameters.AddWithValue("metadata", NpgsqlDbType.Jsonb, metadataJson);
            insert.Parameters.AddWithValue("created_at", createdAt);
            Outbox.AddRowParameters(insert.Parameters, new SessionCreated(id, name, project, createdAt));
            created = await ReadSingleAsync(insert, ct);
        }
        catch
        {
            workspaces.Delete(id);
            throw;
        }
        if (created is null)
        {
            // Applied by an earlier delivery of the same operation.
            workspaces.Delete(id);
            return (await FindByOperationAsync(connection, operationId, ct))!;
        }
        outbox.NotifyCommitted();
        workspaces.WriteMetadata(created, WorkspaceBackendKinds.Local);
        workspaces.Log(created.WorkspaceDir, $"session created: {created.Name} (status {created.Status})");
        return created;
    }

    /// <summary>
    /// Creates the sessions in one transaction (one insert, one outbox write); a session whose operation
    /// was applied before is returned as stored. The result is in the order of <paramref name="sessions"/>.
    /// </summary>
    public async Task<IReadOnlyList<SessionDetails>> CreateManyAsync(IReadOnlyList<NewSession> sessions, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var ids = sessions.Select(_ => Guid.CreateVersion7()).ToArray();
        var workspaceDirs = ids.Select(workspaces.Create).ToArray();
        var created = new Dictionary<Guid, SessionDetails>();
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var insert = new NpgsqlCommand(
                $"""
                INSERT INTO sessions (id, operation_id, name, project, status, working_directory, workspace_dir, metadata, created_at, updated_at)
                SELECT s.id, s.operation_id, s.name, s.project, @status, s.working_directory, s.workspace_dir, s.metadata::jsonb, now(), now()
                FROM unnest(@ids, @operation_ids, @names, @projects, @working_directories, @workspace_dirs, @metadata)
                    AS s (id, operation_id, name, project, working_directory, workspace_dir, metadata)
                ON CONFLICT (operation_id) DO NOTHING
                RETURNING {SessionColumns}
                """, connection, transaction);
            insert.Parameters.AddWithValue("status", SessionStatuses.Created);
            insert.Parameters.AddWithValue("ids", ids);
            insert.Parameters.AddWithValue("operation_ids", sessions.Select(s => s.OperationId).ToArray());
            insert.Parameters.AddWithValue("names", sessions.Select(s => s.Name).ToArray());
            insert.Parameters.AddWithValue("projects", NpgsqlDbType.Array | NpgsqlDbType.Text, sessions.Select(s => s.Project).ToArray());
            insert.Parameters.AddWithValue("working_directories", NpgsqlDbType.Array | NpgsqlDbType.Text, sessions.Select(s => s.WorkingDirectory).ToArray());
            insert.Parameters.AddWithValue("workspace_dirs", workspaceDirs);
            insert.Parameters.AddWithValue("metadata", sessions.Select(s => s.MetadataJson).ToArray());
            foreach (var session in await ReadAllAsync(insert, ct))
            {
                created[session.Id] = session;
            }
            await outbox.EnqueueManyAsync(connection, transaction,
                [.. created.Values.Select(c => new SessionCreated(c.Id, c.Name, c.Project, c.CreatedAt))], ct);
            await transaction.CommitAsync(ct);
            outbox.NotifyCommitted();
        }
        catch
        {
            Array.ForEach(ids, workspaces.Delete);
            throw;
        }

        var result = new List<SessionDetails>(sessions.Count);
        for (var i = 0; i < sessions.Count; i++)
        {
            if (created.TryGetValue(ids[i], out var session))
            {
                workspaces.WriteMetadata(session, WorkspaceBackendKinds.Local);
                workspaces.Log(session.WorkspaceDir, $"session created: {session.Name} (status {session.Status})");
                result.Add(session);
            }
            else
            {
                // Applied by an earlier delivery of the same operation (or twice in this batch).
                workspaces.Delete(ids[i]);
                result.Add((await FindByOperationAsync(connection, sessions[i].OperationId, ct))!);
            }
        }
        return result;
    }

    public async Task<SessionDetails> GetAsync(Guid sessionId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {SessionColumns} FROM sessions WHERE id = @id");
        command.Parameters.AddWithValue("id", sessionId);
        return await ReadSingleAsync(command, ct) ?? throw SessionNotFound(sessionId);
    }

    public async Task<SessionDetails> UpdateAsync(Guid sessionId, string? name, string? status, string? metadataJson, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var current = (await LockAsync(connection, transaction, sessionId, ct)).Status;
        if (status is not null)
        {
            SessionRules.Transition(current, status);
        }

        await using var command = new NpgsqlCommand(
            $"""
            {UpdateSql}
            RETURNING {SessionColumns}
            """, connection, transaction);
        command.Parameters.AddWithValue("id", sessionId);
        command.Parameters.AddWithValue("name", NpgsqlDbType.Text, (object?)name ?? DBNull.Value);
        command.Parameters.AddWithValue("status", NpgsqlDbType.Text, (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("metadata", NpgsqlDbType.Text, (object?)metadataJson ?? DBNull.Value);
        var updated = await ReadSingleAsync(command, ct) ?? throw SessionNotFound(sessionId);
        var changed = status is not null && status != current;
        if (changed)
        {
            await EnqueueStatusChangesAsync(connection, transaction, [(sessionId, current, status!)], ct);
        }
        await transaction.CommitAsync(ct);
        if (changed)
        {
            outbox.NotifyCommitted();
        }
        await MirrorAsync(updated, ct);
        if (status is not null && status != current)
        {
            workspaces.Log(updated.WorkspaceDir, $"status {current} → {status}");
        }
        return updated;
    }

    /// <summary>
    /// Applies several updates in one transaction, in order. An update refused on its own (unknown
    /// session, a transition the status flow does not allow) is skipped; the others apply. Returns each
    /// updated session once, as it ends up.
    /// </summary>
    public async Task<IReadOnlyList<SessionDetails>> UpdateManyAsync(IReadOnlyList<SessionChange> changes, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var statuses = new Dictionary<Guid, string>();
        // Rows locked in id order, so concurrent batches cannot deadlock.
        await using (var select = new NpgsqlCommand("SELECT id, status FROM sessions WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue("ids", changes.Select(c => c.SessionId).Distinct().ToArray());
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                statuses[reader.GetGuid(0)] = reader.GetString(1);
            }
        }

        var transitions = new List<(Guid SessionId, string From, string To)>();
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var change in changes)
        {
            if (!statuses.TryGetValue(change.SessionId, out var current)
                || (change.Status is not null && !SessionRules.IsAllowedTransition(current, change.Status)))
            {
                continue;
            }
            if (change.Status is not null && change.Status != current)
            {
                transitions.Add((change.SessionId, current, change.Status));
                statuses[change.SessionId] = change.Status;
            }
            var command = new NpgsqlBatchCommand($"{UpdateSql} RETURNING {SessionColumns}");
            command.Parameters.AddWithValue("id", change.SessionId);
            command.Parameters.AddWithValue("name", NpgsqlDbType.Text, (object?)change.Name ?? DBNull.Value);
            command.Parameters.AddWithValue("status", NpgsqlDbType.Text, (object?)change.Status ?? DBNull.Value);
            command.Parameters.AddWithValue("metadata", NpgsqlDbType.Text, (object?)change.MetadataJson ?? DBNull.Value);
            batch.BatchCommands.Add(command);
        }
        var updated = new Dictionary<Guid, SessionDetails>();
        if (batch.BatchCommands.Count > 0)
        {
            await using var reader = await batch.ExecuteReaderAsync(ct);
            do
            {
                foreach (var session in await ReadSessionsAsync(reader, ct))
                {
                    updated[session.Id] = session;
                }
            }
            while (await reader.NextResultAsync(ct));
        }
        await EnqueueStatusChangesAsync(connection, transaction, transitions, ct);
        await transaction.CommitAsync(ct);
        if (transitions.Count > 0)
        {
            outbox.NotifyCommitted();
        }

        await MirrorManyAsync(connection, updated.Values, ct);
        foreach (var (sessionId, from, to) in transitions)
        {
            workspaces.Log(updated[sessionId].WorkspaceDir, $"status {from} → {to}");
        }
        return [.. updated.Values];
    }

    /// <summary>
    /// One SessionStatusChanged per transition, written to the outbox in the caller's transaction. Their times
    /// strictly increase in transition order (a microsecond apart, PostgreSQL's resolution), so a consumer can
    /// tell which of several changes of one session in one transaction came last.
    /// </summary>
    private async Task EnqueueStatusChangesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(Guid SessionId, string From, string To)> transitions, CancellationToken ct)
    {
        if (transitions.Count == 0)
        {
            return;
        }
        var context = new Dictionary<Guid, (string? Project, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt)>();
        await using (var select = new NpgsqlCommand(StatusContextSql, connection, transaction))
        {
            select.Parameters.AddWithValue("ids", transitions.Select(t => t.SessionId).Distinct().ToArray());
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                context[reader.GetGuid(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
            }
        }
        var at = DateTimeOffset.UtcNow;
        var events = new List<SessionStatusChanged>(transitions.Count);
        foreach (var (sessionId, from, to) in transitions)
        {
            var (project, createdAt, startedAt) = context[sessionId];
            events.Add(new SessionStatusChanged(sessionId, project, from, to, createdAt, startedAt, at));
            at = at.AddMicroseconds(1);
        }
        await outbox.EnqueueManyAsync(connection, transaction, events, ct);
    }

    /// <summary>The session, its row locked until the caller's transaction ends; not found is a refusal.</summary>
    public async Task<SessionDetails> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var select = new NpgsqlCommand($"SELECT {SessionColumns} FROM sessions WHERE id = @id FOR UPDATE", connection, transaction);
        select.Parameters.AddWithValue("id", sessionId);
        return await ReadSingleAsync(select, ct) ?? throw SessionNotFound(sessionId);
    }

    /// <summary>
    /// Moves a session locked by <see cref="LockAsync"/> from <paramref name="from"/> to <paramref name="to"/> in the
    /// caller's transaction, with its SessionStatusChanged event when the status changes (the caller checked the move).
    /// </summary>
    public async Task<SessionDetails> ChangeStatusAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, string from, string to, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand($"{UpdateSql} RETURNING {SessionColumns}", connection, transaction);
        update.Parameters.AddWithValue("id", sessionId);
        update.Parameters.AddWithValue("name", NpgsqlDbType.Text, DBNull.Value);
        update.Parameters.AddWithValue("status", NpgsqlDbType.Text, to);
        update.Parameters.AddWithValue("metadata", NpgsqlDbType.Text, DBNull.Value);
        var changed = await ReadSingleAsync(update, ct) ?? throw SessionNotFound(sessionId);
        if (from != to)
        {
            await EnqueueStatusChangesAsync(connection, transaction, [(sessionId, from, to)], ct);
        }
        return changed;
    }

    /// <summary>The session as of the caller's transaction (e.g. one snapshot with its messages and checkpoints).</summary>
    public async Task<SessionDetails> GetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, CancellationToken ct)
    {
        await using var select = new NpgsqlCommand($"SELECT {SessionColumns} FROM sessions WHERE id = @id", connection, transaction);
        select.Parameters.AddWithValue("id", sessionId);
        return await ReadSingleAsync(select, ct) ?? throw SessionNotFound(sessionId);
    }

    /// <summary>Refuses an unknown session (not found, naming session_id).</summary>
    public async Task RequireAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid sessionId, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM sessions WHERE id = @id", connection, transaction);
        exists.Parameters.AddWithValue("id", sessionId);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            throw SessionNotFound(sessionId);
        }
    }

    /// <summary>Where the session's files live: its workspace directory and the name of its backend.</summary>
    public async Task<(string WorkspaceDir, string Backend)> WorkspaceOfAsync(NpgsqlConnection connection, Guid sessionId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT workspace_dir, backend FROM sessions WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", sessionId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetString(1)) : throw SessionNotFound(sessionId);
    }

    /// <summary>Moves the session's files to another backend (the caller's transaction registers the backend).</summary>
    public async Task AssignBackendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid sessionId, string backend, CancellationToken ct)
    {
        await using var assign = new NpgsqlCommand("UPDATE sessions SET backend = @backend, updated_at = now() WHERE id = @id", connection, transaction);
        assign.Parameters.AddWithValue("backend", backend);
        assign.Parameters.AddWithValue("id", sessionId);
        if (await assign.ExecuteNonQueryAsync(ct) == 0)
        {
            throw SessionNotFound(sessionId);
        }
    }

    /// <summary>How many sessions each backend holds (backends holding none are absent).</summary>
    public async Task<Dictionary<string, long>> CountByBackendAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT backend, count(*) FROM sessions GROUP BY backend");
        var counts = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return counts;
    }

    /// <summary>Rewrites the session's session.json from the row (with its backend).</summary>
    public async Task MirrorAsync(SessionDetails session, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await MirrorManyAsync(connection, [session], ct);
    }

    /// <summary>Rewrites the sessions' session.json files, reading their backends in one query.</summary>
    private async Task MirrorManyAsync(NpgsqlConnection connection, IReadOnlyCollection<SessionDetails> sessions, CancellationToken ct)
    {
        if (sessions.Count == 0)
        {
            return;
        }
        var backends = new Dictionary<Guid, string>(sessions.Count);
        await using (var command = new NpgsqlCommand("SELECT id, backend FROM sessions WHERE id = ANY(@ids)", connection))
        {
            command.Parameters.AddWithValue("ids", sessions.Select(s => s.Id).ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                backends[reader.GetGuid(0)] = reader.GetString(1);
            }
        }
        foreach (var session in sessions)
        {
            if (backends.TryGetValue(session.Id, out var backend))
            {
                workspaces.WriteMetadata(session, backend);
            }
        }
    }

    /// <summary>
    /// Deletes completed and failed sessions last changed more than <paramref name="olderThan"/> ago, each
    /// exactly as delete_session would. Running (and created or starting) sessions are never touched.
    /// </summary>
    public async Task<SessionCleanup> CleanupAsync(double olderThanHours, CancellationToken ct)
    {
        var cutoff = DateTimeOffset.UtcNow - TimeSpan.FromHours(olderThanHours);
        var candidates = new List<Guid>();
        long skipped;
        await using (var command = dataSource.CreateCommand(
            """
            SELECT id FROM sessions WHERE status IN ('completed', 'failed') AND updated_at < @cutoff ORDER BY updated_at;
            SELECT count(*) FROM sessions WHERE status NOT IN ('completed', 'failed') AND updated_at < @cutoff;
            """))
        {
            command.Parameters.AddWithValue("cutoff", cutoff);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                candidates.Add(reader.GetGuid(0));
            }
            await reader.NextResultAsync(ct);
            await reader.ReadAsync(ct);
            skipped = reader.GetInt64(0);
        }

        var deleted = new List<Guid>();
        foreach (var id in candidates)
        {
            // Re-checked under the row lock: a session resumed since the scan is left alone.
            if (await DeleteAsync(id, cutoff, ct))
            {
                deleted.Add(id);
            }
        }
        return new SessionCleanup(olderThanHours, deleted, (int)skipped);
    }

    public async Task<SessionPage> ListAsync(string? project, string? status, int limit, string? cursor, CancellationToken ct)
    {
        var after = PageCursor.ParseSession(cursor);
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {SessionColumns} FROM sessions
            WHERE (@project::text IS NULL OR project = @project)
              AND (@status::text IS NULL OR status = @status)
              AND (@after_created::timestamptz IS NULL OR (created_at, id) < (@after_created, @after_id))
            ORDER BY created_at DESC, id DESC
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("project", NpgsqlDbType.Text, (object?)project ?? DBNull.Value);
        command.Parameters.AddWithValue("status", NpgsqlDbType.Text, (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("after_created", NpgsqlDbType.TimestampTz, after is { } a ? a.CreatedAt : DBNull.Value);
        command.Parameters.AddWithValue("after_id", NpgsqlDbType.Uuid, after is { } b ? b.Id : Guid.Empty);
        command.Parameters.AddWithValue("limit", limit + 1);

        var sessions = await ReadAllAsync(command, ct);
        string? next = null;
        if (sessions.Count > limit)
        {
            sessions.RemoveAt(limit);
            next = PageCursor.ForSession(sessions[^1].CreatedAt, sessions[^1].Id);
        }
        return new SessionPage(sessions, next);
    }

    public async Task<SessionDeletion> DeleteAsync(Guid sessionId, CancellationToken ct)
    {
        var messageCount = await DeleteRowAsync(sessionId, finishedBefore: null, ct) ?? throw SessionNotFound(sessionId);
        return new SessionDeletion(sessionId, true, messageCount);
    }

    private async Task<bool> DeleteAsync(Guid sessionId, DateTimeOffset finishedBefore, CancellationToken ct) =>
        await DeleteRowAsync(sessionId, finishedBefore, ct) is not null;

    /// <returns>The number of messages deleted with the session, or null when no session matched.</returns>
    private async Task<long?> DeleteRowAsync(Guid sessionId, DateTimeOffset? finishedBefore, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var delete = new NpgsqlCommand(
            """
            DELETE FROM sessions WHERE id = @id
              AND (@before::timestamptz IS NULL OR (status IN ('completed', 'failed') AND updated_at < @before))
            RETURNING message_count
            """, connection, transaction);
        delete.Parameters.AddWithValue("id", sessionId);
        delete.Parameters.AddWithValue("before", NpgsqlDbType.TimestampTz, (object?)finishedBefore ?? DBNull.Value);
        if (await delete.ExecuteScalarAsync(ct) is not long messageCount)
        {
            return null;
        }

        await outbox.EnqueueAsync(connection, transaction, new SessionDeleted(sessionId, DateTimeOffset.UtcNow), ct);
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();

        // After commit: a crash here leaves an orphaned directory, never a session without its files.
        workspaces.Delete(sessionId);
        return messageCount;
    }

    private static async Task<SessionDetails?> FindByOperationAsync(NpgsqlConnection connection, Guid operationId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {SessionColumns} FROM sessions WHERE operation_id = @operation_id", connection);
        command.Parameters.AddWithValue("operation_id", operationId);
        return await ReadSingleAsync(command, ct);
    }

    private static async Task<SessionDetails?> ReadSingleAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var rows = await ReadAllAsync(command, ct);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<List<SessionDetails>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadSessionsAsync(reader, ct);
    }

    /// <summary>The rows of the reader's current result set (columns as in <see cref="SessionColumns"/>).</summary>
    private static async Task<List<SessionDetails>> ReadSessionsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new List<SessionDetails>();
        while (await reader.ReadAsync(ct))
        {
            var workspaceDir = reader.GetString(5);
            rows.Add(new SessionDetails(
                Id: reader.GetGuid(0),
                Name: reader.GetString(1),
                Project: reader.IsDBNull(2) ? null : reader.GetString(2),
                Status: reader.GetString(3),
                WorkingDirectory: reader.IsDBNull(4) ? null : reader.GetString(4),
                WorkspaceDir: workspaceDir,
                OutputDir: SessionWorkspaces.OutputDir(workspaceDir),
                Metadata: ParseJson(reader.GetString(6)),
                MessageCount: reader.GetInt64(7),
                CreatedAt: reader.GetFieldValue<DateTimeOffset>(8),
                UpdatedAt: reader.GetFieldValue<DateTimeOffset>(9)));
        }
        return rows;
    }

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static RequestRejectedException SessionNotFound(Guid sessionId) =>
        RequestRejectedException.NotFound("session_id", $"no session with id {sessionId}");
}
