using System.Text.Json.Nodes;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.WorkerPool.Tasks;

/// <summary>A task's final result to store; <paramref name="CountForWorker"/> changes the worker's counters with it.</summary>
public sealed record TaskFinish(
    Guid TaskId, string? WorkerId, string Status, string? Output, string? Error, int? ExitCode, double DurationSeconds, string MetadataJson, bool CountForWorker);

/// <summary>A task to insert: which worker (or pool) runs what.</summary>
/// <summary>
/// A task to insert. <paramref name="RequiredWorkerType"/> binds a pool task to workers of that type
/// (recorded in its metadata as requested_worker_type); <paramref name="Metadata"/> is the caller's,
/// kept in the result.
/// </summary>
public sealed record NewTask(
    string? PoolId, string? WorkerId, string WorkerType, string PromptOrCommand, int TimeoutSeconds,
    string? RequiredWorkerType = null, JsonElement? Metadata = null)
{
    public const string RequestedWorkerTypeKey = "requested_worker_type";

    public string MetadataJson()
    {
        if (RequiredWorkerType is null)
        {
            return Metadata?.GetRawText() ?? "{}";
        }
        var metadata = Metadata is { } given ? JsonNode.Parse(given.GetRawText())!.AsObject() : [];
        metadata[RequestedWorkerTypeKey] = RequiredWorkerType;
        return metadata.ToJsonString();
    }
}

/// <summary>
/// Tasks and their results in workerpooldb. A finished task and its <see cref="WorkerTaskCompleted"/>
/// event commit in one transaction (the outbox), so every result reaches the Memory service.
/// </summary>
public sealed class TaskStore(NpgsqlDataSource dataSource, Outbox outbox)
{
    private const string TaskColumns =
        """
        id, COALESCE(worker_id, ''), status, output, error, exit_code, duration_seconds, metadata::text,
        COALESCE(finished_at, created_at), worker_type, pool_id, session_id, progress, progress_events, prompt_or_command, timeout_seconds
        """;

    /// <summary>Inserts the tasks of one operation; a redelivered operation gets the rows its first delivery created (Fresh = false).</summary>
    public async Task<(IReadOnlyList<WorkerTaskResult> Tasks, bool Fresh)> CreateAsync(
        Guid operationId, IReadOnlyList<NewTask> tasks, string ownerInstance, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var command = new NpgsqlBatchCommand(
                """
                INSERT INTO tasks (id, operation_id, position, pool_id, worker_id, worker_type, prompt_or_command, timeout_seconds, status, owner_instance, metadata, created_at)
                VALUES (@id, @op, @position, @pool, @worker, @type, @prompt, @timeout, 'pending', @owner, @metadata::jsonb, clock_timestamp())
                ON CONFLICT (operation_id, position) DO NOTHING
                """);
            command.Parameters.AddWithValue("id", Guid.CreateVersion7());
            command.Parameters.AddWithValue("op", operationId);
            command.Parameters.AddWithValue("position", i);
            command.Parameters.AddWithValue("pool", NpgsqlDbType.Text, (object?)task.PoolId ?? DBNull.Value);
            command.Parameters.AddWithValue("worker", NpgsqlDbType.Text, (object?)task.WorkerId ?? DBNull.Value);
            command.Parameters.AddWithValue("type", task.WorkerType);
            command.Parameters.AddWithValue("prompt", task.PromptOrCommand);
            command.Parameters.AddWithValue("timeout", task.TimeoutSeconds);
            command.Parameters.AddWithValue("owner", ownerInstance);
            command.Parameters.AddWithValue("metadata", task.MetadataJson());
            batch.BatchCommands.Add(command);
        }
        var inserted = await batch.ExecuteNonQueryAsync(ct);

        await using var read = new NpgsqlCommand($"SELECT {TaskColumns} FROM tasks WHERE operation_id = @op ORDER BY position", connection);
        read.Parameters.AddWithValue("op", operationId);
        return (await ReadAsync(read, ct), inserted > 0);
    }

    public async Task<IReadOnlyList<WorkerTaskResult>> GetAsync(IReadOnlyList<Guid> taskIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TaskColumns} FROM tasks WHERE id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", taskIds.ToArray());
        var byId = (await ReadAsync(command, ct)).ToDictionary(t => t.TaskId);
        return [.. taskIds.Where(byId.ContainsKey).Select(id => byId[id])];
    }

    public async Task<IReadOnlyList<WorkerTaskResult>> ForPoolAsync(string poolId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TaskColumns} FROM tasks WHERE pool_id = @pool ORDER BY created_at, position");
        command.Parameters.AddWithValue("pool", poolId);
        return await ReadAsync(command, ct);
    }

    public async Task StartAsync(Guid taskId, string workerId, string workerType, Guid? sessionId, int attempt, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE tasks SET status = 'running', worker_id = @worker, worker_type = @type, session_id = @session, attempts = @attempt
            WHERE id = @id AND status IN ('pending', 'starting', 'running')
            """);
        command.Parameters.AddWithValue("type", workerType);
        command.Parameters.AddWithValue("id", taskId);
        command.Parameters.AddWithValue("worker", workerId);
        command.Parameters.AddWithValue("session", NpgsqlDbType.Uuid, (object?)sessionId ?? DBNull.Value);
        command.Parameters.AddWithValue("attempt", attempt);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task ReportProgressAsync(Guid taskId, string progress, long events, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE tasks SET progress = @progress, progress_events = @events WHERE id = @id AND status = 'running'");
        command.Parameters.AddWithValue("id", taskId);
        command.Parameters.AddWithValue("progress", progress);
        command.Parameters.AddWithValue("events", events);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Stores several final results in one transaction: one batch of updates (in task id order, so
    /// concurrent batches lock alike), <paramref name="alongside"/> (e.g. the workers' counters), one
    /// outbox write and one commit. Returns the results that were stored; a task already finished (e.g.
    /// failed by recovery) keeps its first outcome and is left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, WorkerTaskResult>> FinishManyAsync(
        IReadOnlyList<TaskFinish> finishes, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>? alongside, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var finish in finishes.OrderBy(f => f.TaskId))
        {
            var update = new NpgsqlBatchCommand(
                $"""
                UPDATE tasks SET status = @status, worker_id = COALESCE(@worker, worker_id), output = @output, error = @error, exit_code = @exit,
                    duration_seconds = @duration, metadata = @metadata::jsonb, finished_at = now()
                WHERE id = @id AND status IN ('pending', 'starting', 'running')
                RETURNING {TaskColumns}
                """);
            update.Parameters.AddWithValue("id", finish.TaskId);
            update.Parameters.AddWithValue("worker", NpgsqlDbType.Text, (object?)finish.WorkerId ?? DBNull.Value);
            update.Parameters.AddWithValue("status", finish.Status);
            update.Parameters.AddWithValue("output", NpgsqlDbType.Text, (object?)finish.Output ?? DBNull.Value);
            update.Parameters.AddWithValue("error", NpgsqlDbType.Text, (object?)finish.Error ?? DBNull.Value);
            update.Parameters.AddWithValue("exit", NpgsqlDbType.Integer, (object?)finish.ExitCode ?? DBNull.Value);
            update.Parameters.AddWithValue("duration", finish.DurationSeconds);
            update.Parameters.AddWithValue("metadata", finish.MetadataJson);
            batch.BatchCommands.Add(update);
        }
        var finished = new Dictionary<Guid, WorkerTaskResult>();
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            do
            {
                foreach (var task in await ReadRowsAsync(reader, ct))
                {
                    finished[task.TaskId] = task;
                }
            }
            while (await reader.NextResultAsync(ct));
        }
        if (alongside is not null)
        {
            await alongside(connection, transaction, ct);
        }
        await outbox.EnqueueManyAsync(connection, transaction, [.. finished.Values.Select(t => ToEvent(t, null))], ct);
        await transaction.CommitAsync(ct);
        if (finished.Count > 0)
        {
            outbox.NotifyCommitted();
        }
        return finished;
    }

    /// <summary>Flags unfinished tasks for cancellation (their owner stops them) and returns their ids.</summary>
    public async Task<IReadOnlyList<Guid>> RequestCancelAsync(string? workerId, string? poolId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE tasks SET cancel_requested = true
            WHERE status IN ('pending', 'starting', 'running') AND (worker_id = @worker OR pool_id = @pool)
            RETURNING id
            """);
        command.Parameters.AddWithValue("worker", NpgsqlDbType.Text, (object?)workerId ?? DBNull.Value);
        command.Parameters.AddWithValue("pool", NpgsqlDbType.Text, (object?)poolId ?? DBNull.Value);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    public async Task<IReadOnlyList<Guid>> CancelRequestedAsync(string ownerInstance, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id FROM tasks WHERE owner_instance = @owner AND cancel_requested AND status IN ('pending', 'starting', 'running')");
        command.Parameters.AddWithValue("owner", ownerInstance);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    /// <summary>
    /// Fails the unfinished tasks of instances that are gone (a dead process on this host, or no
    /// heartbeat for <paramref name="expiry"/>), each with its <see cref="WorkerTaskCompleted"/> event.
    /// </summary>
    public async Task<int> FailOrphansAsync(string host, IReadOnlySet<int> deadLocalProcesses, TimeSpan expiry, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var update = new NpgsqlCommand(
            $"""
            UPDATE tasks SET status = 'failed', finished_at = now(),
                error = 'the WorkerPool instance running this task (' || owner_instance || ') stopped before it finished; run it again',
                duration_seconds = EXTRACT(EPOCH FROM now() - created_at)
            WHERE status IN ('pending', 'starting', 'running')
              AND owner_instance IN (
                  SELECT t.owner_instance FROM tasks t LEFT JOIN instances i ON i.id = t.owner_instance
                  WHERE t.status IN ('pending', 'starting', 'running')
                    AND (i.id IS NULL OR i.heartbeat_at < now() - @expiry OR (i.host = @host AND i.process_id = ANY(@dead))))
            RETURNING {TaskColumns}
            """, connection, transaction);
        update.Parameters.AddWithValue("expiry", expiry);
        update.Parameters.AddWithValue("host", host);
        update.Parameters.AddWithValue("dead", deadLocalProcesses.ToArray());
        var failed = await ReadAsync(update, ct);
        foreach (var task in failed)
        {
            await outbox.EnqueueAsync(connection, transaction, ToEvent(task, null), ct);
        }
        await transaction.CommitAsync(ct);
        if (failed.Count > 0)
        {
            outbox.NotifyCommitted();
        }
        return failed.Count;
    }

    /// <summary>Enqueues the pool's collected results for the Akosha push.</summary>
    public async Task PublishPoolResultsAsync(string poolId, IReadOnlyList<WorkerTaskResult> results, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await outbox.EnqueueAsync(connection, transaction,
            new PoolResultsCollected(poolId, [.. results.Select(r => ToEvent(r, null))], DateTimeOffset.UtcNow), ct);
        await transaction.CommitAsync(ct);
        outbox.NotifyCommitted();
    }

    private static WorkerTaskCompleted ToEvent(WorkerTaskResult task, string? repo) => new(
        task.WorkerId, task.TaskId, task.WorkerType, task.PromptOrCommand ?? "", task.Status, task.Output, task.Error, task.ExitCode,
        task.DurationSeconds, repo, task.Timestamp, task.PoolId, task.SessionId);

    private static async Task<IReadOnlyList<WorkerTaskResult>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await ReadRowsAsync(reader, ct);
    }

    private static async Task<IReadOnlyList<WorkerTaskResult>> ReadRowsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var tasks = new List<WorkerTaskResult>();
        while (await reader.ReadAsync(ct))
        {
            using var metadata = JsonDocument.Parse(reader.GetString(7));
            tasks.Add(new WorkerTaskResult(
                reader.GetString(1),
                reader.GetGuid(0),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt32(5),
                reader.GetDouble(6),
                metadata.RootElement.Clone(),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetGuid(11),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.GetInt64(13),
                reader.GetString(14),
                reader.GetInt32(15)));
        }
        return tasks;
    }
}
