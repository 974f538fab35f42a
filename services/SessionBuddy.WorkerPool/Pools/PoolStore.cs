using Npgsql;
using NpgsqlTypes;

namespace SessionBuddy.WorkerPool.Pools;

/// <summary>Pools and their workers (and single workers, which have no pool) in workerpooldb.</summary>
public sealed class PoolStore(NpgsqlDataSource dataSource)
{
    private const string WorkerColumns =
        """
        w.id, w.worker_type, w.pool_id,
        CASE WHEN w.status = 'idle' AND EXISTS (SELECT 1 FROM tasks t WHERE t.worker_id = w.id AND t.status IN ('starting', 'running'))
             THEN 'busy' ELSE w.status END,
        (SELECT t.id FROM tasks t WHERE t.worker_id = w.id AND t.status IN ('starting', 'running') ORDER BY t.created_at LIMIT 1),
        w.tasks_completed, w.tasks_failed, w.created_at
        """;

    public async Task<PoolDetails?> FindByOperationAsync(Guid operationId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM pools WHERE operation_id = @op");
        command.Parameters.AddWithValue("op", operationId);
        return await command.ExecuteScalarAsync(ct) is string id ? await FindAsync(id, ct) : null;
    }

    public async Task<int> CountActiveAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM pools WHERE status = 'active'");
        return (int)(long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Creates the pool with <paramref name="maxWorkers"/> workers, types assigned in turn; null when the id is taken.</summary>
    public async Task<PoolDetails?> CreateAsync(Guid operationId, string poolId, IReadOnlyList<string> workerTypes, int maxWorkers, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO pools (id, operation_id, status, worker_types, max_workers, created_at)
            VALUES (@id, @op, 'active', @types, @max, now())
            ON CONFLICT DO NOTHING
            """, connection, transaction);
        insert.Parameters.AddWithValue("id", poolId);
        insert.Parameters.AddWithValue("op", operationId);
        insert.Parameters.AddWithValue("types", workerTypes.ToArray());
        insert.Parameters.AddWithValue("max", maxWorkers);
        if (await insert.ExecuteNonQueryAsync(ct) == 0)
        {
            return null;
        }
        for (var i = 0; i < maxWorkers; i++)
        {
            await InsertWorkerAsync(connection, transaction, null, workerTypes[i % workerTypes.Count], poolId, ct);
        }
        await transaction.CommitAsync(ct);
        return await FindAsync(poolId, ct);
    }

    public async Task<PoolDetails?> FindAsync(string poolId, CancellationToken ct)
    {
        var pools = await ListAsync(poolId, ct);
        return pools.Count == 0 ? null : pools[0];
    }

    public async Task<IReadOnlyList<PoolDetails>> ListAsync(string? poolId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT p.id, p.status, p.worker_types, p.max_workers, p.created_at,
                   count(t.id) FILTER (WHERE t.status = 'pending'),
                   count(t.id) FILTER (WHERE t.status IN ('starting', 'running')),
                   count(t.id) FILTER (WHERE t.status = 'completed'),
                   count(t.id) FILTER (WHERE t.status IN ('failed', 'timeout', 'cancelled'))
            FROM pools p LEFT JOIN tasks t ON t.pool_id = p.id
            WHERE @id::text IS NULL OR p.id = @id
            GROUP BY p.id
            ORDER BY p.created_at
            """);
        command.Parameters.AddWithValue("id", NpgsqlDbType.Text, (object?)poolId ?? DBNull.Value);
        var rows = new List<(string Id, string Status, string[] Types, int Max, DateTimeOffset Created, long Pending, long Running, long Done, long Failed)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2), reader.GetInt32(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8)));
            }
        }
        var workers = (await ListWorkersAsync(poolId, includePoolWorkers: true, ct)).Where(w => w.PoolId is not null).ToLookup(w => w.PoolId!);
        return [.. rows.Select(r => new PoolDetails(r.Id, r.Status, r.Types, r.Max, [.. workers[r.Id]], r.Pending, r.Running, r.Done, r.Failed, r.Created))];
    }

    public async Task<IReadOnlyList<WorkerDetails>> ListWorkersAsync(string? poolId, bool includePoolWorkers, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {WorkerColumns} FROM workers w
            WHERE (@pool::text IS NULL OR w.pool_id = @pool) AND (@all OR w.pool_id IS NULL)
            ORDER BY w.created_at, w.id
            """);
        command.Parameters.AddWithValue("pool", NpgsqlDbType.Text, (object?)poolId ?? DBNull.Value);
        command.Parameters.AddWithValue("all", includePoolWorkers);
        return await ReadWorkersAsync(command, ct);
    }

    public async Task<WorkerDetails?> FindWorkerAsync(string workerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {WorkerColumns} FROM workers w WHERE w.id = @id");
        command.Parameters.AddWithValue("id", workerId);
        var workers = await ReadWorkersAsync(command, ct);
        return workers.Count == 0 ? null : workers[0];
    }

    public async Task<IReadOnlyList<WorkerDetails>> SpawnAsync(Guid operationId, string workerType, int count, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // A retried worker_spawn returns the workers the first delivery created.
        await using (var lockOperation = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@op::text, 0))", connection, transaction))
        {
            lockOperation.Parameters.AddWithValue("op", operationId);
            await lockOperation.ExecuteNonQueryAsync(ct);
        }
        await using var existing = new NpgsqlCommand("SELECT count(*) FROM workers WHERE operation_id = @op", connection, transaction);
        existing.Parameters.AddWithValue("op", operationId);
        if ((long)(await existing.ExecuteScalarAsync(ct))! == 0)
        {
            for (var i = 0; i < count; i++)
            {
                await InsertWorkerAsync(connection, transaction, operationId, workerType, null, ct);
            }
        }
        await transaction.CommitAsync(ct);
        await using var command = dataSource.CreateCommand($"SELECT {WorkerColumns} FROM workers w WHERE w.operation_id = @op ORDER BY w.created_at, w.id");
        command.Parameters.AddWithValue("op", operationId);
        return await ReadWorkersAsync(command, ct);
    }

    public async Task<long> CountLiveSingleWorkersAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM workers WHERE pool_id IS NULL AND status <> 'stopped'");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Counts a finished task against its worker; a worker failing too often is marked unhealthy and replaced by a fresh one.</summary>
    public async Task<string?> RecordOutcomeAsync(string workerId, bool succeeded, int unhealthyAfter, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var newWorker = await RecordOutcomeAsync(connection, transaction, workerId, succeeded, unhealthyAfter, ct);
        await transaction.CommitAsync(ct);
        return newWorker;
    }

    /// <summary>As <see cref="RecordOutcomeAsync(string, bool, int, CancellationToken)"/>, inside the caller's transaction (e.g. the one storing the task's result).</summary>
    public static async Task<string?> RecordOutcomeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string workerId, bool succeeded, int unhealthyAfter, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand(
            """
            UPDATE workers SET
                tasks_completed = tasks_completed + CASE WHEN @ok THEN 1 ELSE 0 END,
                tasks_failed = tasks_failed + CASE WHEN @ok THEN 0 ELSE 1 END,
                consecutive_failures = CASE WHEN @ok THEN 0 ELSE consecutive_failures + 1 END,
                status = CASE WHEN NOT @ok AND status = 'idle' AND pool_id IS NOT NULL AND consecutive_failures + 1 >= @limit
                              THEN 'unhealthy' ELSE status END
            WHERE id = @id
            RETURNING status, pool_id, worker_type
            """, connection, transaction);
        update.Parameters.AddWithValue("id", workerId);
        update.Parameters.AddWithValue("ok", succeeded);
        update.Parameters.AddWithValue("limit", unhealthyAfter);
        string? replacement = null;
        await using (var reader = await update.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct) && reader.GetString(0) == WorkerStatuses.Unhealthy && !succeeded && !reader.IsDBNull(1))
            {
                replacement = reader.GetString(1) + "\n" + reader.GetString(2);
            }
        }
        string? newWorker = null;
        if (replacement is not null)
        {
            var parts = replacement.Split('\n');
            newWorker = await InsertWorkerAsync(connection, transaction, null, parts[1], parts[0], ct);
            await using var retire = new NpgsqlCommand("UPDATE workers SET status = 'stopped' WHERE id = @id", connection, transaction);
            retire.Parameters.AddWithValue("id", workerId);
            await retire.ExecuteNonQueryAsync(ct);
        }
        return newWorker;
    }

    /// <summary>
    /// Several outcomes, in order, inside the caller's transaction. A worker with only successes here
    /// gets one update (n successes in a row: counted, failure streak reset, status unchanged); one
    /// with a failure goes through <see cref="RecordOutcomeAsync(NpgsqlConnection, NpgsqlTransaction, string, bool, int, CancellationToken)"/>
    /// outcome by outcome, so its health follows exactly the same rules.
    /// </summary>
    public static async Task RecordOutcomesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<(string WorkerId, bool Succeeded)> outcomes, int unhealthyAfter, CancellationToken ct)
    {
        var withFailures = outcomes.Where(o => !o.Succeeded).Select(o => o.WorkerId).ToHashSet();
        await using var successes = new NpgsqlBatch(connection, transaction);
        foreach (var group in outcomes.Where(o => !withFailures.Contains(o.WorkerId)).GroupBy(o => o.WorkerId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var update = new NpgsqlBatchCommand("UPDATE workers SET tasks_completed = tasks_completed + @n, consecutive_failures = 0 WHERE id = @id");
            update.Parameters.AddWithValue("id", group.Key);
            update.Parameters.AddWithValue("n", group.Count());
            successes.BatchCommands.Add(update);
        }
        if (successes.BatchCommands.Count > 0)
        {
            await successes.ExecuteNonQueryAsync(ct);
        }
        foreach (var (workerId, succeeded) in outcomes.Where(o => withFailures.Contains(o.WorkerId)))
        {
            await RecordOutcomeAsync(connection, transaction, workerId, succeeded, unhealthyAfter, ct);
        }
    }

    /// <summary>Reserves <paramref name="count"/> consecutive round-robin positions, shared by all instances.</summary>
    public async Task<long> NextRouteOffsetAsync(int count, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT nextval('route_counter') FROM generate_series(1, @n) ORDER BY 1 LIMIT 1");
        command.Parameters.AddWithValue("n", count);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<bool> MarkShutdownAsync(string poolId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var pool = new NpgsqlCommand(
            "UPDATE pools SET status = 'shutdown', shutdown_at = now() WHERE id = @id AND status = 'active'", connection, transaction);
        pool.Parameters.AddWithValue("id", poolId);
        var changed = await pool.ExecuteNonQueryAsync(ct) > 0;
        await using var workers = new NpgsqlCommand("UPDATE workers SET status = 'stopped' WHERE pool_id = @id", connection, transaction);
        workers.Parameters.AddWithValue("id", poolId);
        await workers.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return changed;
    }

    private static async Task<string> InsertWorkerAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid? operationId, string workerType, string? poolId, CancellationToken ct)
    {
        var id = "w-" + Guid.NewGuid().ToString("N")[..12];
        await using var insert = new NpgsqlCommand(
            "INSERT INTO workers (id, operation_id, pool_id, worker_type, status, created_at) VALUES (@id, @op, @pool, @type, 'idle', clock_timestamp())",
            connection, transaction);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("op", NpgsqlDbType.Uuid, (object?)operationId ?? DBNull.Value);
        insert.Parameters.AddWithValue("pool", NpgsqlDbType.Text, (object?)poolId ?? DBNull.Value);
        insert.Parameters.AddWithValue("type", workerType);
        await insert.ExecuteNonQueryAsync(ct);
        return id;
    }

    private static async Task<IReadOnlyList<WorkerDetails>> ReadWorkersAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var workers = new List<WorkerDetails>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            workers.Add(new WorkerDetails(
                reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }
        return workers;
    }
}
