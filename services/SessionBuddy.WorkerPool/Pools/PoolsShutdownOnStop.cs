using Microsoft.Extensions.Options;
using Npgsql;

namespace SessionBuddy.WorkerPool.Pools;

/// <summary>
/// Container-native mode (WorkerPool:ShutdownPoolsOnStop, seed 000 Phase 3): this instance lives in a container with
/// its pools, so when the container is stopped (SIGTERM) it shuts every active pool down as pool_shutdown would and
/// waits until their results have left through the outbox for AkoshaSync, before the bus stops. Registered after the
/// bus so that it stops before it.
/// </summary>
public sealed partial class PoolsShutdownOnStop(
    PoolStore pools, PoolShutdowns shutdowns, NpgsqlDataSource dataSource, IOptions<WorkerPoolOptions> options, ILogger<PoolsShutdownOnStop> logger)
    : IHostedService
{
    private const string UndispatchedSql = "SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NULL AND message_type = @type";

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ShutdownPoolsOnStop)
        {
            return;
        }
        var active = (await pools.ListAsync(null, cancellationToken)).Where(p => p.Status == PoolStatuses.Active).ToList();
        foreach (var pool in active)
        {
            var shutdown = await shutdowns.ShutdownAsync(pool.PoolId, pushToAkosha: true, cancellationToken);
            LogPoolShutDown(pool.PoolId, shutdown.Results.Count, shutdown.AkoshaPush);
        }
        // The outbox dispatcher and the bus still run: wait (bounded by the host's shutdown timeout) until they took the results.
        while (active.Count > 0 && await UndispatchedAsync(cancellationToken) > 0)
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    private async Task<long> UndispatchedAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(UndispatchedSql);
        command.Parameters.AddWithValue("type", typeof(PoolResultsCollected).FullName!);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    [LoggerMessage(LogLevel.Information, "Stopping: pool {PoolId} shut down with {Results} results (akosha_push {AkoshaPush})")]
    private partial void LogPoolShutDown(string poolId, int results, string akoshaPush);
}
