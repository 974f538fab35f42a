using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class SpawnWorkersConsumer(PoolStore pools, PoolRules rules) : IConsumer<SpawnWorkers>
{
    public Task Consume(ConsumeContext<SpawnWorkers> context) => context.RespondWithAsync(async () =>
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        var type = rules.WorkerType(request.WorkerType);
        rules.SpawnCount(request.Count, await pools.CountLiveSingleWorkersAsync(ct));
        return new WorkerList(await pools.SpawnAsync(request.OperationId, type, request.Count, ct));
    });
}
