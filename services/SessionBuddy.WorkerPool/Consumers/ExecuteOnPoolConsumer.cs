using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;
using SessionBuddy.WorkerPool.Tasks;
using SessionBuddy.WorkerPool.Workers;

namespace SessionBuddy.WorkerPool.Consumers;

/// <summary>Accepts the tasks and replies at once; they run in the background on this instance.</summary>
public sealed class ExecuteOnPoolConsumer(PoolStore pools, TaskStore tasks, PoolRules rules, TaskDispatcher dispatcher, InstanceIdentity instance)
    : IConsumer<ExecuteOnPool>
{
    public Task Consume(ConsumeContext<ExecuteOnPool> context) => context.RespondWithAsync(async () =>
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        var pool = await pools.FindAsync(request.PoolId, ct)
            ?? throw RequestRejectedException.NotFound("pool_id", $"no pool '{request.PoolId}'; create it with pool_create");
        if (pool.Status != PoolStatuses.Active)
        {
            throw RequestRejectedException.InvalidArgument("pool_id", $"pool '{request.PoolId}' is shut down; create a new pool");
        }
        var specs = rules.Tasks(request.Tasks, request.TimeoutSeconds, pool.WorkerTypes);
        var (created, fresh) = await tasks.CreateAsync(
            request.OperationId,
            [.. specs.Select(t => new NewTask(pool.PoolId, null, t.WorkerType ?? pool.WorkerTypes[0], t.PromptOrCommand, t.TimeoutSeconds!.Value, t.WorkerType, t.Metadata))],
            instance.Id, ct);
        if (fresh)
        {
            dispatcher.Start(created, pool.MaxWorkers);
        }
        return new TaskBatch(created);
    });
}
