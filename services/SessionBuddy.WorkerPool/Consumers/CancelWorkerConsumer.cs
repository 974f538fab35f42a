using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;
using SessionBuddy.WorkerPool.Tasks;

namespace SessionBuddy.WorkerPool.Consumers;

/// <summary>
/// Cancels the worker's unfinished tasks: those running here at once, those of other instances
/// through the cancel flag their owner polls.
/// </summary>
public sealed class CancelWorkerConsumer(PoolStore pools, TaskStore tasks, TaskDispatcher dispatcher) : IConsumer<CancelWorker>
{
    public Task Consume(ConsumeContext<CancelWorker> context) => context.RespondWithAsync(async () =>
    {
        var ct = context.CancellationToken;
        var worker = await pools.FindWorkerAsync(context.Message.WorkerId, ct)
            ?? throw RequestRejectedException.NotFound("worker_id", $"no worker '{context.Message.WorkerId}'; worker_list shows the workers");
        var cancelled = await tasks.RequestCancelAsync(worker.WorkerId, null, ct);
        foreach (var id in cancelled)
        {
            dispatcher.Cancel(id);
        }
        return new WorkerCancellation(worker.WorkerId, cancelled.Count, worker);
    });
}
