using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;

namespace SessionBuddy.Memory.Search;

/// <summary>A validated search.</summary>
public sealed record ReflectionQuery(string Text, int Limit, double? MinScore, string Mode, SearchFilter Filter);

/// <summary>
/// Runs a search in the requested mode: keyword (BM25), semantic (HNSW) or hybrid (both, fused by
/// weighted RRF). Without embeddings a semantic or hybrid search answers by keyword with a warning.
/// </summary>
public sealed class ReflectionSearch(
    Bm25Ranking keyword, VectorRanking semantic, ReflectionEmbedder embedder, ReflectionStore store, MemoryOptions options)
{
    // Each path contributes this many candidates to fusion (at least the requested limit).
    private const int FusionDepth = 50;

    public async Task<ReflectionSearchResults> SearchAsync(ReflectionQuery query, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var mode = query.Mode;

        // Hybrid's keyword ranking needs no vector: it runs in PostgreSQL while the query is embedded here.
        var keywordDepth = KeywordDepth(query);
        var keywordTask = mode is SearchModes.Hybrid
            ? keyword.RankAsync(query.Text, query.Filter, keywordDepth, cancellationToken)
            : null;

        float[]? vector = null;
        if (mode is SearchModes.Semantic or SearchModes.Hybrid)
        {
            var embedded = await embedder.EmbedAsync([query.Text], cancellationToken);
            if (embedded.Vectors is { } vectors)
            {
                vector = vectors[0];
            }
            else
            {
                warnings.Add($"{embedded.Warning}; answered by keyword search instead of {mode}");
                mode = SearchModes.Keyword;
            }
        }

        IReadOnlyList<FusedId> ranked = mode switch
        {
            // The first `limit` of a deeper keyword ranking are the keyword ranking at that limit.
            SearchModes.Keyword => (await (keywordTask ?? keyword.RankAsync(query.Text, query.Filter, query.Limit, cancellationToken)))
                .Take(query.Limit)
                .Select(r => new FusedId(r.Id, r.Score, MatchSources.Keyword, null, r.Score)).ToList(),
            SearchModes.Semantic => (await semantic.RankAsync(vector!, query.Filter, query.Limit, cancellationToken))
                .Select(r => new FusedId(r.Id, r.Score, MatchSources.Semantic, r.Score, null)).ToList(),
            _ => await HybridAsync(keywordTask!, vector!, query.Filter, keywordDepth, cancellationToken),
        };

        var hits = ranked
            .Where(r => query.MinScore is not { } min || r.Score >= min)
            .Take(query.Limit)
            .ToList();
        var stored = await store.LoadAsync(hits.Select(h => h.Id).ToList(), cancellationToken);
        var results = hits
            .Where(h => stored.ContainsKey(h.Id)) // deleted between ranking and loading
            .Select(h =>
            {
                var r = stored[h.Id];
                return new ReflectionMatch(
                    r.Id, r.Content, h.Score, h.MatchedBy, h.SemanticScore, h.KeywordScore, r.Tags, r.Project, r.SessionId, r.Metadata, r.CreatedAt);
            })
            .ToList();
        return new ReflectionSearchResults(results, mode, warnings);
    }

    // With semantic weight 0 fusion keeps the keyword order, and semantic-only matches (score 0, ordered by
    // similarity) only fill the list after every keyword match. Then neither list's ranks past the limit can
    // place: the same answer from less work (the fill needs at most limit semantic matches).
    private int KeywordDepth(ReflectionQuery query) =>
        (options.SemanticWeight ?? 1.0) == 0 ? query.Limit : Math.Max(FusionDepth, query.Limit);

    private async Task<IReadOnlyList<FusedId>> HybridAsync(
        Task<IReadOnlyList<RankedId>> keywordTask, float[] vector, SearchFilter filter, int depth, CancellationToken cancellationToken)
    {
        var semanticRanked = await semantic.RankAsync(vector, filter, depth, cancellationToken);
        return RankFusion.Fuse(await keywordTask, semanticRanked, options.KeywordWeight, options.SemanticWeight ?? 1.0);
    }
}
