using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class CreatePoolConsumer(PoolStore pools, PoolRules rules) : IConsumer<CreatePool>
{
    public Task Consume(ConsumeContext<CreatePool> context) => context.RespondWithAsync(async () =>
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (await pools.FindByOperationAsync(request.OperationId, ct) is { } existing)
        {
            return existing;
        }
        var types = rules.WorkerTypeList(request.WorkerTypes);
        var size = rules.PoolSize(request.MaxWorkers, types.Count);
        var poolId = PoolRules.PoolId(request.PoolId);
        if (await pools.CountActiveAsync(ct) >= rules.Options.MaxPools)
        {
            throw RequestRejectedException.InvalidArgument("pool_id",
                $"at most {rules.Options.MaxPools} pools may be active (WorkerPool:MaxPools); shut one down with pool_shutdown first");
        }
        return await pools.CreateAsync(request.OperationId, poolId, types, size, ct)
            ?? throw RequestRejectedException.InvalidArgument("pool_id", $"a pool '{poolId}' already exists; choose another id or omit pool_id");
    });
}
