using SessionBuddy.Memory.Optimization;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>optimize_memories: the scheduled optimisation, now. A retried request waits for the running one and runs again (cheap: nothing new to compare).</summary>
public sealed class OptimizeMemoriesConsumer(MemoryOptimizer optimizer) : IConsumer<OptimizeMemories>
{
    public Task Consume(ConsumeContext<OptimizeMemories> context) =>
        context.RespondWithAsync(() => optimizer.RunAsync(OptimizationTriggers.Manual, context.CancellationToken));
}
