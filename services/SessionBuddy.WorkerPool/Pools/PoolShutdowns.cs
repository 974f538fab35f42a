using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Tasks;

namespace SessionBuddy.WorkerPool.Pools;

/// <summary>
/// Shutting a pool down: stop its workers (cancelling unfinished tasks), collect its results and, once, publish them for
/// Akosha when an Akosha endpoint is configured. Used by pool_shutdown and, in container-native mode, on SIGTERM.
/// </summary>
public sealed class PoolShutdowns(PoolStore pools, TaskStore tasks, TaskDispatcher dispatcher, IOptions<WorkerPoolOptions> options)
{
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    public async Task<PoolShutdown> ShutdownAsync(string poolId, bool pushToAkosha, CancellationToken ct)
    {
        var pool = await pools.FindAsync(poolId, ct)
            ?? throw RequestRejectedException.NotFound("pool_id", $"no pool '{poolId}'; pool_list shows the pools");
        var changed = await pools.MarkShutdownAsync(pool.PoolId, ct);
        var cancelled = await tasks.RequestCancelAsync(null, pool.PoolId, ct);
        foreach (var id in cancelled)
        {
            dispatcher.Cancel(id);
        }

        // Give cancelled tasks a moment to record their outcome so the collected results are final.
        var results = await tasks.ForPoolAsync(pool.PoolId, ct);
        var deadline = DateTime.UtcNow + CancelGrace;
        while (results.Any(r => !WorkerTaskStatuses.Final.Contains(r.Status)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
            results = await tasks.ForPoolAsync(pool.PoolId, ct);
        }

        var akoshaPush = (changed, pushToAkosha, string.IsNullOrWhiteSpace(options.Value.AkoshaEndpoint)) switch
        {
            (false, _, _) => AkoshaPushStates.AlreadyShutDown,
            (_, false, _) => AkoshaPushStates.NotRequested,
            (_, _, true) => AkoshaPushStates.NotConfigured,
            _ => AkoshaPushStates.Queued,
        };
        if (akoshaPush == AkoshaPushStates.Queued)
        {
            await tasks.PublishPoolResultsAsync(pool.PoolId, results, ct);
        }
        return new PoolShutdown(pool.PoolId, PoolStatuses.Shutdown, akoshaPush, cancelled.Count, results);
    }
}
