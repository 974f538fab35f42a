using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.WorkerPool.Tasks;

namespace SessionBuddy.WorkerPool.Workers;

/// <summary>This process as the owner of the tasks it runs.</summary>
public sealed class InstanceIdentity
{
    public string Host { get; } = Environment.MachineName;

    public int ProcessId { get; } = Environment.ProcessId;

    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
}

/// <summary>
/// Registers this instance, keeps its heartbeat, and fails the unfinished tasks of instances that are
/// gone: at start-up (before the bus delivers new work) those of dead processes on this host, and
/// periodically those of instances silent for WorkerPool:InstanceExpiry. Also relays cancellation
/// requests stored by other instances to the tasks this one runs.
/// </summary>
public sealed partial class InstanceRegistry(
    NpgsqlDataSource dataSource,
    InstanceIdentity identity,
    TaskStore tasks,
    TaskDispatcher dispatcher,
    IOptions<WorkerPoolOptions> options,
    ILogger<InstanceRegistry> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO instances (id, host, process_id, started_at, heartbeat_at) VALUES (@id, @host, @pid, now(), now())"))
        {
            insert.Parameters.AddWithValue("id", identity.Id);
            insert.Parameters.AddWithValue("host", identity.Host);
            insert.Parameters.AddWithValue("pid", identity.ProcessId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await SweepAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using (var heartbeat = dataSource.CreateCommand("UPDATE instances SET heartbeat_at = now() WHERE id = @id"))
                {
                    heartbeat.Parameters.AddWithValue("id", identity.Id);
                    await heartbeat.ExecuteNonQueryAsync(stoppingToken);
                }
                foreach (var taskId in await tasks.CancelRequestedAsync(identity.Id, stoppingToken))
                {
                    dispatcher.Cancel(taskId);
                }
                await SweepAsync(stoppingToken);
            }
            // Only our own stop ends the loop (and the host with it): a canceled broker or database call is retried next tick.
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(ex);
            }
        }
    }

    private async Task SweepAsync(CancellationToken ct)
    {
        var dead = new HashSet<int>();
        await using (var local = dataSource.CreateCommand("SELECT process_id FROM instances WHERE host = @host AND id <> @id"))
        {
            local.Parameters.AddWithValue("host", identity.Host);
            local.Parameters.AddWithValue("id", identity.Id);
            await using var reader = await local.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var pid = reader.GetInt32(0);
                if (pid != identity.ProcessId && !Directory.Exists($"/proc/{pid}"))
                {
                    dead.Add(pid);
                }
            }
        }
        var failed = await tasks.FailOrphansAsync(identity.Host, dead, options.Value.InstanceExpiry, ct);
        if (failed > 0)
        {
            LogOrphansFailed(failed);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Marked {Count} tasks of stopped WorkerPool instances as failed")]
    private partial void LogOrphansFailed(int count);

    [LoggerMessage(LogLevel.Warning, "Instance heartbeat or orphan sweep failed")]
    private partial void LogSweepFailed(Exception ex);
}
