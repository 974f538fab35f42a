using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class GetPoolStatusConsumer(PoolStore pools) : IConsumer<GetPoolStatus>
{
    public Task Consume(ConsumeContext<GetPoolStatus> context) => context.RespondWithAsync(async () =>
        await pools.FindAsync(context.Message.PoolId, context.CancellationToken)
            ?? throw RequestRejectedException.NotFound("pool_id", $"no pool '{context.Message.PoolId}'; pool_list shows the pools"));
}
