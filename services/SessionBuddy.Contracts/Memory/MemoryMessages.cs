using System.Text.Json;

namespace SessionBuddy.Contracts.Memory;

// Generic memories: rows of the same searchable store as reflections, told apart by category.
// Reflections are the category "reflection"; worker executions are "worker_execution".

/// <summary>
/// Stores a memory of a known <see cref="Category"/> (<see cref="MemoryCategories"/>). Identical content in
/// the same category and project is stored once (<c>Deduplicated = true</c> with the existing id).
/// </summary>
public sealed record StoreMemory(
    Guid OperationId,
    string Content,
    string Category,
    JsonElement? Metadata = null,
    string? Project = null,
    IReadOnlyList<string>? Tags = null);

/// <summary>
/// Ranked search over memories. <see cref="Metadata"/> is an equality filter: every key given must have
/// exactly that value in the memory's metadata. Without a category every category is searched.
/// </summary>
public sealed record SearchMemories(
    string Query,
    string? Category = null,
    JsonElement? Metadata = null,
    int? Limit = null,
    string? Project = null,
    string? Mode = null,
    double? MinScore = null);

/// <summary>worker_search_history: memories of category worker_execution, optionally by worker type and status.</summary>
public sealed record SearchWorkerHistory(string Query, string? WorkerType = null, string? Status = null, int? Limit = null);

public sealed record StoreMemoryReply(
    Guid Id,
    bool Deduplicated,
    string Category,
    string? Project,
    bool Embedded,
    DateTimeOffset CreatedAt,
    IReadOnlyList<string> Warnings);

/// <summary>One memory hit; <see cref="Score"/>, <see cref="MatchedBy"/> as in <see cref="ReflectionMatch"/>.</summary>
public sealed record MemoryMatch(
    Guid Id,
    string Content,
    string Category,
    double Score,
    string MatchedBy,
    string? Project,
    IReadOnlyList<string> Tags,
    JsonElement Metadata,
    long AccessCount,
    DateTimeOffset CreatedAt);

public sealed record MemorySearchResults(IReadOnlyList<MemoryMatch> Results, string Mode, IReadOnlyList<string> Warnings);

public static class MemoryCategories
{
    public const string Reflection = "reflection";
    public const string WorkerExecution = "worker_execution";
    /// <summary>A worker result another system pushed to this Akosha hub; written by the hub only.</summary>
    public const string AkoshaResult = "akosha_result";
    /// <summary>The searchable text of a pattern; written by store_pattern only.</summary>
    public const string Pattern = "pattern";

    /// <summary>Categories every deployment knows; Memory:ExtraCategories adds more.</summary>
    public static readonly IReadOnlyList<string> Builtin =
    [
        Reflection, WorkerExecution, Pattern, AkoshaResult, "general", "fact", "decision", "preference", "insight",
        "error", "solution", "code", "task", "note", "conversation",
    ];
}

public static class MemoryLimits
{
    public const int MaxCategoryLength = 64;
    public const int MaxMetadataFilterKeys = 20;
}
