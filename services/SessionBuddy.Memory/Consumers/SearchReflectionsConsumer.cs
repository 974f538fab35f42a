using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>search_reflections / quick_search.</summary>
public sealed class SearchReflectionsConsumer(ReflectionSearch search, MemoryAccess access) : IConsumer<SearchReflections>
{
    public async Task Consume(ConsumeContext<SearchReflections> context)
    {
        ReflectionSearchResults? results = null;
        await context.RespondWithAsync(async () =>
            results = await search.SearchAsync(ReflectionRules.Validate(context.Message), context.CancellationToken));
        if (results is not null)
        {
            // Hits feed the access counts that optimisation decays; recorded after answering, best effort.
            await access.RecordAsync(results.Results.Select(r => r.Id).ToList(), context.CancellationToken);
        }
    }
}
