using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;
using SessionBuddy.WorkerPool.Tasks;
using SessionBuddy.WorkerPool.Workers;

namespace SessionBuddy.WorkerPool.Consumers;

/// <summary>Accepts one task for the worker and replies at once; the gateway waits for it by polling.</summary>
public sealed class ExecuteOnWorkerConsumer(PoolStore pools, TaskStore tasks, TaskDispatcher dispatcher, InstanceIdentity instance)
    : IConsumer<ExecuteOnWorker>
{
    public Task Consume(ConsumeContext<ExecuteOnWorker> context) => context.RespondWithAsync(async () =>
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        var worker = await pools.FindWorkerAsync(request.WorkerId, ct)
            ?? throw RequestRejectedException.NotFound("worker_id", $"no worker '{request.WorkerId}'; worker_list shows the workers, worker_spawn creates one");
        if (worker.Status is WorkerStatuses.Stopped or WorkerStatuses.Unhealthy)
        {
            throw RequestRejectedException.InvalidArgument("worker_id", $"worker '{request.WorkerId}' is {worker.Status}; spawn a new worker");
        }
        var text = PoolRules.PromptOrCommand(request.PromptOrCommand);
        var timeout = PoolRules.Timeout(request.TimeoutSeconds);
        var (created, fresh) = await tasks.CreateAsync(
            request.OperationId, [new NewTask(worker.PoolId, worker.PoolId is null ? worker.WorkerId : null, worker.WorkerType, text, timeout)],
            instance.Id, ct);
        if (fresh)
        {
            dispatcher.Start(created);
        }
        return new TaskBatch(created);
    });
}
