using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Pools;

namespace SessionBuddy.WorkerPool.Consumers;

/// <summary>pool_shutdown: see <see cref="PoolShutdowns"/>.</summary>
public sealed class ShutdownPoolConsumer(PoolShutdowns shutdowns) : IConsumer<ShutdownPool>
{
    public Task Consume(ConsumeContext<ShutdownPool> context) =>
        context.RespondWithAsync(() => shutdowns.ShutdownAsync(context.Message.PoolId, context.Message.PushToAkosha, context.CancellationToken));
}
