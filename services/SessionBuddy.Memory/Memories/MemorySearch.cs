using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Memories;

/// <summary>
/// Stores and searches generic memories with the reflection machinery (same table, BM25 statistics,
/// embeddings and fusion); a memory is a reflection row with a category. Every hit is counted.
/// </summary>
public sealed class MemorySearch(ReflectionStore store, ReflectionEmbedder embedder, ReflectionSearch search, MemoryAccess access)
{
    public async Task<StoreMemoryReply> StoreAsync(NewReflection memory, CancellationToken cancellationToken)
    {
        var embedded = await embedder.EmbedAsync([memory.EmbeddedText], cancellationToken);
        var outcome = (await store.StoreAsync([memory], embedded.Vectors, cancellationToken))[0];
        IReadOnlyList<string> warnings = embedded.Warning is { } warning && !outcome.Embedded
            ? [$"{warning}; stored without an embedding, found by keyword search only"]
            : [];
        return new StoreMemoryReply(outcome.Id, outcome.Deduplicated, memory.Category, memory.Project, outcome.Embedded, outcome.CreatedAt, warnings);
    }

    /// <summary>Stores several memories with one embedding call and one insert (no per-memory outcome).</summary>
    public async Task StoreManyAsync(IReadOnlyList<NewReflection> memories, CancellationToken cancellationToken)
    {
        var embedded = await embedder.EmbedAsync([.. memories.Select(m => m.EmbeddedText)], cancellationToken);
        await store.StoreAsync(memories, embedded.Vectors, cancellationToken);
    }

    public async Task<MemorySearchResults> SearchAsync(ReflectionQuery query, CancellationToken cancellationToken)
    {
        var found = await search.SearchAsync(query, cancellationToken);
        var ids = found.Results.Select(r => r.Id).ToList();
        var details = await access.ReadAsync(ids, cancellationToken);
        var results = found.Results
            .Where(r => details.ContainsKey(r.Id))
            .Select(r => new MemoryMatch(
                r.Id, r.Content, details[r.Id].Category, r.Score, r.MatchedBy, r.Project, r.Tags, r.Metadata, details[r.Id].AccessCount + 1, r.CreatedAt))
            .ToList();
        await access.RecordAsync(ids, cancellationToken);
        return new MemorySearchResults(results, found.Mode, found.Warnings);
    }
}
