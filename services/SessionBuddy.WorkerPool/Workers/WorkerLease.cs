using Npgsql;

namespace SessionBuddy.WorkerPool.Workers;

/// <summary>
/// A worker held by this replica while it runs one task, so that no other replica starts a task on the same worker
/// meanwhile: a session advisory lock on a connection of its own. If the process dies, PostgreSQL ends the
/// session and the worker is free again; no sweep is needed.
/// </summary>
public sealed class WorkerLease : IAsyncDisposable
{
    private const string TryLockSql = "SELECT pg_try_advisory_lock(hashtextextended('worker:' || @worker, 0))";
    private const string LockSql = "SELECT pg_advisory_lock(hashtextextended('worker:' || @worker, 0))";
    private const string UnlockSql = "SELECT pg_advisory_unlock(hashtextextended('worker:' || @worker, 0))";

    private readonly NpgsqlConnection _connection;
    private readonly string _workerId;

    private WorkerLease(NpgsqlConnection connection, string workerId)
    {
        _connection = connection;
        _workerId = workerId;
    }

    /// <summary>The worker's lease, or null when another replica holds it.</summary>
    public static async Task<WorkerLease?> TryAcquireAsync(NpgsqlDataSource dataSource, string workerId, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await RunAsync(connection, TryLockSql, workerId, cancellationToken) is true)
            {
                return new WorkerLease(connection, workerId);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>The worker's lease, waiting while another replica runs a task on it.</summary>
    public static async Task<WorkerLease> AcquireAsync(NpgsqlDataSource dataSource, string workerId, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await RunAsync(connection, LockSql, workerId, cancellationToken);
            return new WorkerLease(connection, workerId);
        }
        catch
        {
            // A cancelled wait was granted nothing.
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(_connection, UnlockSql, _workerId, CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // The connection broke: the server ended its session, and the lock with it.
        }
        await _connection.DisposeAsync();
    }

    private static async Task<object?> RunAsync(NpgsqlConnection connection, string sql, string workerId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("worker", workerId);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
