using System.Text.Json;

namespace SessionBuddy.Contracts.Memory;

/// <summary>
/// Reply to <see cref="StoreReflection"/>. <see cref="Embedded"/> is false when no embedding could be
/// made (the provider was unreachable): the reflection is then found by keyword search only, and
/// <see cref="Warnings"/> says why.
/// </summary>
public sealed record StoreReflectionReply(
    Guid Id,
    bool Deduplicated,
    string? Project,
    bool Embedded,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Warnings);

/// <summary>
/// One search hit. <see cref="Score"/> is the ranking score of the mode searched: cosine similarity
/// (semantic), BM25 (keyword), or the fused score normalised to 0..1 (hybrid). <see cref="MatchedBy"/>
/// is semantic, keyword or both (<see cref="MatchSources"/>); the per-path scores are given when that
/// path found the item.
/// </summary>
public sealed record ReflectionMatch(
    Guid Id,
    string Content,
    double Score,
    string MatchedBy,
    double? SemanticScore,
    double? KeywordScore,
    IReadOnlyList<string> Tags,
    string? Project,
    string? SessionId,
    JsonElement Metadata,
    DateTimeOffset CreatedAt);

/// <summary>
/// Reply to <see cref="SearchReflections"/>. <see cref="Mode"/> is the mode actually used: a hybrid or
/// semantic search falls back to keyword when embeddings are unavailable, with a warning.
/// </summary>
public sealed record ReflectionSearchResults(
    IReadOnlyList<ReflectionMatch> Results,
    string Mode,
    IReadOnlyList<string> Warnings);

public sealed record DeleteReflectionReply(Guid Id, bool Deleted);

public sealed record ReflectionStats(
    string? Project,
    long TotalReflections,
    long EmbeddedReflections,
    IReadOnlyList<NamedCount> Projects,
    IReadOnlyList<NamedCount> Tags,
    DateTimeOffset? Oldest,
    DateTimeOffset? Newest,
    string EmbeddingProvider,
    int EmbeddingDimensions);

public sealed record NamedCount(string Name, long Count);
