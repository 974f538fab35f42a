using MassTransit;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Consumers;

/// <summary>search_reflections / quick_search.</summary>
public sealed class SearchReflectionsConsumer(ReflectionSearch search) : IConsumer<SearchReflections>
{
    public async Task Consume(ConsumeContext<SearchReflections> context)
    {
        if (ReflectionRequestValidation.TryCreate(context.Message, out var query) is { } rejected)
        {
            await context.RespondAsync(rejected);
            return;
        }
        await context.RespondAsync(await search.SearchAsync(query, context.CancellationToken));
    }
}
