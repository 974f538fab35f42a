namespace SessionBuddy.Memory.Search;

/// <summary>
/// Weighted reciprocal rank fusion (k = 60): each list adds weight / (k + rank). Ranks, not raw scores,
/// are fused because BM25 and cosine similarity live on unrelated scales.
/// </summary>
public static class RankFusion
{
    public const int K = 60;

    public static IReadOnlyList<FusedId> Fuse(
        IReadOnlyList<RankedId> keyword, IReadOnlyList<RankedId> semantic, double keywordWeight, double semanticWeight)
    {
        var fused = new Dictionary<Guid, FusedId>();
        for (var i = 0; i < keyword.Count; i++)
        {
            fused[keyword[i].Id] = new FusedId(keyword[i].Id, keywordWeight / (K + i + 1), MatchSources.Keyword, null, keyword[i].Score);
        }
        for (var i = 0; i < semantic.Count; i++)
        {
            var contribution = semanticWeight / (K + i + 1);
            fused[semantic[i].Id] = fused.TryGetValue(semantic[i].Id, out var existing)
                ? existing with { Score = existing.Score + contribution, MatchedBy = MatchSources.Both, SemanticScore = semantic[i].Score }
                : new FusedId(semantic[i].Id, contribution, MatchSources.Semantic, semantic[i].Score, null);
        }

        // Normalised so an item ranked first by both paths scores 1.
        var best = (keywordWeight + semanticWeight) / (K + 1);
        // Equal scores (semantic matches all score 0 when the semantic weight is 0) go by similarity.
        return fused.Values
            .OrderByDescending(f => f.Score)
            .ThenByDescending(f => f.SemanticScore ?? double.NegativeInfinity)
            .ThenBy(f => f.Id)
            .Select(f => f with { Score = f.Score / best })
            .ToList();
    }
}

public sealed record FusedId(Guid Id, double Score, string MatchedBy, double? SemanticScore, double? KeywordScore);
