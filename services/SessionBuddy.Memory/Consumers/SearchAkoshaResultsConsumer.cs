using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>akosha_search_workers / search_all_systems: hybrid search over the results pushed to this hub.</summary>
public sealed class SearchAkoshaResultsConsumer(MemorySearch memories) : IConsumer<SearchAkoshaResults>
{
    public Task Consume(ConsumeContext<SearchAkoshaResults> context) =>
        context.RespondWithAsync(() => memories.SearchAsync(MemoryRules.Validate(context.Message), context.CancellationToken));
}
