using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

public sealed class GetWorkerStatusConsumer(PoolStore pools) : IConsumer<GetWorkerStatus>
{
    public Task Consume(ConsumeContext<GetWorkerStatus> context) => context.RespondWithAsync(async () =>
        await pools.FindWorkerAsync(context.Message.WorkerId, context.CancellationToken)
            ?? throw RequestRejectedException.NotFound("worker_id", $"no worker '{context.Message.WorkerId}'; worker_list shows the workers"));
}
