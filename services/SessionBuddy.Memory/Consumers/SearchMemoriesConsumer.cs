using SessionBuddy.Memory.Memories;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>search_memories: hybrid/semantic/keyword search with category and metadata-equality filters.</summary>
public sealed class SearchMemoriesConsumer(MemorySearch memories, MemoryCatalog catalog) : IConsumer<SearchMemories>
{
    public Task Consume(ConsumeContext<SearchMemories> context) =>
        context.RespondWithAsync(() => memories.SearchAsync(MemoryRules.Validate(context.Message, catalog), context.CancellationToken));
}
