using SessionBuddy.Memory.Memories;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>worker_search_history: memories of category worker_execution, filtered by worker type and status.</summary>
public sealed class SearchWorkerHistoryConsumer(MemorySearch memories) : IConsumer<SearchWorkerHistory>
{
    public Task Consume(ConsumeContext<SearchWorkerHistory> context) =>
        context.RespondWithAsync(() => memories.SearchAsync(MemoryRules.Validate(context.Message), context.CancellationToken));
}
