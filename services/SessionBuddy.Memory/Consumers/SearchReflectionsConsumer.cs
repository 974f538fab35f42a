using MassTransit;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Consumers;

/// <summary>search_reflections / quick_search.</summary>
public sealed class SearchReflectionsConsumer(ReflectionSearch search, MemoryAccess access) : IConsumer<SearchReflections>
{
    public async Task Consume(ConsumeContext<SearchReflections> context)
    {
        if (ReflectionRequestValidation.TryCreate(context.Message, out var query) is { } rejected)
        {
            await context.RespondAsync(rejected);
            return;
        }
        var results = await search.SearchAsync(query, context.CancellationToken);
        await context.RespondAsync(results);
        // Hits feed the access counts that optimisation decays; recorded after answering, best effort.
        await access.RecordAsync(results.Results.Select(r => r.Id).ToList(), context.CancellationToken);
    }
}
