using SessionBuddy.Memory.Memories;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>store_memory: a categorised memory in the reflection store (embedded, de-duplicated).</summary>
public sealed class StoreMemoryConsumer(MemorySearch memories, MemoryOptions options, MemoryCatalog catalog) : IConsumer<StoreMemory>
{
    public Task Consume(ConsumeContext<StoreMemory> context) =>
        context.RespondWithAsync(() => memories.StoreAsync(MemoryRules.Validate(context.Message, options, catalog), context.CancellationToken));
}
