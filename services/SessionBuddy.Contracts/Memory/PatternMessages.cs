namespace SessionBuddy.Contracts.Memory;

/// <summary>
/// Records a recurring pattern. A pattern is identified by its name within a project: storing the same
/// name again counts another occurrence, replaces the description and adds new examples.
/// </summary>
public sealed record StorePattern(
    Guid OperationId,
    string Name,
    string PatternType,
    string Description,
    IReadOnlyList<string>? Examples = null,
    string? Project = null);

/// <summary>
/// Patterns ranked by relevance to <see cref="Query"/> (hybrid search over name, description and examples),
/// or, without a query, the most frequent ones. Filters apply in both cases.
/// </summary>
public sealed record FindPatterns(string? Query = null, string? PatternType = null, string? Project = null, int? Limit = null);

public sealed record PatternDetails(
    Guid Id,
    string Name,
    string PatternType,
    string Description,
    IReadOnlyList<string> Examples,
    string? Project,
    int Occurrences,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen);

/// <summary>Reply to <see cref="StorePattern"/>: <see cref="Created"/> is false when an existing pattern was updated.</summary>
public sealed record StorePatternReply(PatternDetails Pattern, bool Created);

/// <summary>A found pattern; <see cref="Score"/> and <see cref="MatchedBy"/> are null when no query was given.</summary>
public sealed record PatternMatch(PatternDetails Pattern, double? Score, string? MatchedBy);

public sealed record PatternSearchResults(IReadOnlyList<PatternMatch> Patterns, string? Mode, IReadOnlyList<string> Warnings);

public static class PatternLimits
{
    public const int MaxNameLength = 200;
    public const int MaxTypeLength = 64;
    public const int MaxDescriptionLength = 10_000;
    public const int MaxExamples = 20;
    public const int MaxExampleLength = 5_000;
    public const int DefaultLimit = 20;
}
