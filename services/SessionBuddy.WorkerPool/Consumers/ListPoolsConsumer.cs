using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class ListPoolsConsumer(PoolStore pools) : IConsumer<ListPools>
{
    public Task Consume(ConsumeContext<ListPools> context) =>
        context.RespondWithAsync(async () => new PoolList(await pools.ListAsync(null, context.CancellationToken)));
}
