using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class ListWorkersConsumer(PoolStore pools) : IConsumer<ListWorkers>
{
    public Task Consume(ConsumeContext<ListWorkers> context) => context.RespondWithAsync(async () =>
        new WorkerList(await pools.ListWorkersAsync(null, includePoolWorkers: true, context.CancellationToken)));
}
