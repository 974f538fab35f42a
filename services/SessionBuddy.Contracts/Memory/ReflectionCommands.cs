using System.Text.Json;

namespace SessionBuddy.Contracts.Memory;

// Requests the gateway sends to the Memory service. Argument names in RequestRejected replies are
// the snake_case MCP names (content, limit, min_score, since, ...). Dates travel as ISO 8601 strings
// so the service, not the transport, reports a malformed one against the argument that carried it.

/// <summary>
/// Stores a reflection. Identical content in the same project is stored once: the reply carries the
/// existing id with <c>Deduplicated = true</c>. <see cref="OperationId"/> is reused on every retry of
/// the same call, so a retried store reports what the first attempt did.
/// </summary>
public sealed record StoreReflection(
    Guid OperationId,
    string Content,
    IReadOnlyList<string>? Tags,
    string? Project,
    string? SessionId,
    JsonElement? Metadata);

/// <summary>
/// Ranked search. <see cref="Mode"/>: hybrid (default), semantic or keyword (<see cref="SearchModes"/>).
/// <see cref="TagsMatch"/>: any (default) or all. <see cref="Since"/>/<see cref="Until"/>: ISO 8601,
/// inclusive lower and exclusive upper bound on the creation time. <see cref="MinScore"/> applies to the
/// returned <see cref="ReflectionMatch.Score"/> of the chosen mode.
/// </summary>
public sealed record SearchReflections(
    string Query,
    int? Limit = null,
    double? MinScore = null,
    string? Project = null,
    IReadOnlyList<string>? Tags = null,
    string? TagsMatch = null,
    string? Since = null,
    string? Until = null,
    string? SessionId = null,
    string? Mode = null);

public sealed record DeleteReflection(Guid ReflectionId);

/// <summary>Counts, projects and tags; for one project when <see cref="Project"/> is given.</summary>
public sealed record GetReflectionStats(string? Project = null);

public static class SearchModes
{
    public const string Hybrid = "hybrid";
    public const string Semantic = "semantic";
    public const string Keyword = "keyword";

    public static readonly IReadOnlyList<string> All = [Hybrid, Semantic, Keyword];
}

public static class TagMatchModes
{
    public const string Any = "any";
    public const string All = "all";
}

public static class MatchSources
{
    public const string Semantic = "semantic";
    public const string Keyword = "keyword";
    public const string Both = "both";
}

public static class ReflectionLimits
{
    public const int DefaultSearchLimit = 10;
    public const int MaxSearchLimit = 100;
    public const int MaxTags = 50;
    public const int MaxTagLength = 100;
    public const int MaxProjectLength = 200;
    public const int MaxQueryLength = 10_000;
}
