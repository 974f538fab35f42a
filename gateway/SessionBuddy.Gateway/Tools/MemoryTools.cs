using System.Text.Json;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Gateway.Mcp;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// Memory tools: reflections, generic memories, patterns, worker history and optimisation. Each sends one
/// request to the Memory service and returns its reply; validation and ranking are the service's.
/// </summary>
[McpServerToolType]
public sealed class MemoryTools(ServiceRequests requests)
{
    [McpServerTool(Name = "store_reflection", UseStructuredContent = true)]
    [Description("Store a reflection (an insight worth remembering) with its embedding. Identical content in the same project returns the existing id with deduplicated: true.")]
    public Task<StoreReflectionReply> StoreReflection(
        [Description("The reflection text (non-empty, at most Memory:MaxContentLength characters).")] string content,
        [Description("Tags to filter by later.")] string[]? tags = null,
        [Description("Project it belongs to; searches with project only see that project.")] string? project = null,
        [Description("Session it came from.")] string? sessionId = null,
        [Description("Free-form JSON object stored with it.")] JsonElement? metadata = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<StoreReflection, StoreReflectionReply>(
            new StoreReflection(Guid.NewGuid(), content, tags, project, sessionId, metadata), cancellationToken);

    [McpServerTool(Name = "search_reflections", UseStructuredContent = true, ReadOnly = true)]
    [ToolAlias("quick_search", "Alias of search_reflections.")]
    [Description("Search reflections with whole sentences: hybrid (default: semantic + BM25 keyword, fused), semantic or keyword. Results carry score and matched_by.")]
    public Task<ReflectionSearchResults> SearchReflections(
        [Description("What to look for, in words.")] string query,
        [Description("Most results, 1..100 (default 10).")] int? limit = null,
        [Description("Drop results scoring below this.")] double? minScore = null,
        [Description("Only this project.")] string? project = null,
        [Description("Only reflections with these tags.")] string[]? tags = null,
        [Description("any (default) or all of the tags.")] string? tagsMatch = null,
        [Description("Stored at or after this ISO 8601 time.")] string? since = null,
        [Description("Stored before this ISO 8601 time.")] string? until = null,
        [Description("Only from this session.")] string? sessionId = null,
        [Description("hybrid (default), semantic or keyword.")] string? mode = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SearchReflections, ReflectionSearchResults>(
            new SearchReflections(query, limit, minScore, project, tags, tagsMatch, since, until, sessionId, mode), cancellationToken);

    [McpServerTool(Name = "get_reflection_stats", UseStructuredContent = true, ReadOnly = true)]
    [Description("Reflection counts, projects, tags and the embedding model; for one project when given.")]
    public Task<ReflectionStats> GetReflectionStats(
        [Description("Only this project.")] string? project = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetReflectionStats, ReflectionStats>(new GetReflectionStats(project), cancellationToken);

    [McpServerTool(Name = "delete_reflection", UseStructuredContent = true, Destructive = true)]
    [Description("Delete a reflection (or any memory) by id.")]
    public Task<DeleteReflectionReply> DeleteReflection(
        [Description("Id (UUID) returned by store_reflection.")] string id,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<DeleteReflection, DeleteReflectionReply>(new DeleteReflection(ToolArguments.Id(id, "id")), cancellationToken);

    [McpServerTool(Name = "store_memory", UseStructuredContent = true)]
    [Description("Store a categorised memory (fact, decision, preference, insight, error, solution, code, task, note, conversation, general, ...). Identical content in the same category and project returns the existing id with deduplicated: true.")]
    public Task<StoreMemoryReply> StoreMemory(
        [Description("The memory text (non-empty).")] string content,
        [Description("A known category, e.g. fact, decision, preference, solution.")] string category,
        [Description("JSON object stored with it; search_memories filters on it by equality.")] JsonElement? metadata = null,
        [Description("Project it belongs to.")] string? project = null,
        [Description("Tags.")] string[]? tags = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<StoreMemory, StoreMemoryReply>(new StoreMemory(Guid.NewGuid(), content, category, metadata, project, tags), cancellationToken);

    [McpServerTool(Name = "search_memories", UseStructuredContent = true, ReadOnly = true)]
    [Description("Search memories (every category, reflections included, unless category is given); metadata is an equality filter: each key must have exactly that value.")]
    public Task<MemorySearchResults> SearchMemories(
        [Description("What to look for, in words.")] string query,
        [Description("Only this category.")] string? category = null,
        [Description("JSON object of key/value pairs the memory's metadata must contain.")] JsonElement? metadata = null,
        [Description("Most results, 1..100 (default 10).")] int? limit = null,
        [Description("Only this project.")] string? project = null,
        [Description("hybrid (default), semantic or keyword.")] string? mode = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SearchMemories, MemorySearchResults>(new SearchMemories(query, category, metadata, limit, project, mode), cancellationToken);

    [McpServerTool(Name = "store_pattern", UseStructuredContent = true)]
    [Description("Record a recurring pattern. The same name (in the same project) again counts another occurrence, takes the new description and adds the examples.")]
    public Task<StorePatternReply> StorePattern(
        [Description("Pattern name, unique per project.")] string name,
        [Description("Kind of pattern, e.g. code, workflow, error, architecture.")] string patternType,
        [Description("What the pattern is and when it applies.")] string description,
        [Description("Examples of it.")] string[]? examples = null,
        [Description("Project it belongs to.")] string? project = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<StorePattern, StorePatternReply>(new StorePattern(Guid.NewGuid(), name, patternType, description, examples, project), cancellationToken);

    [McpServerTool(Name = "find_patterns", UseStructuredContent = true, ReadOnly = true)]
    [Description("Find patterns relevant to a query (ranked), or without a query the most frequent ones.")]
    public Task<PatternSearchResults> FindPatterns(
        [Description("What to look for, in words.")] string? query = null,
        [Description("Only this kind of pattern.")] string? patternType = null,
        [Description("Only this project.")] string? project = null,
        [Description("Most results, 1..100 (default 20).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<FindPatterns, PatternSearchResults>(new FindPatterns(query, patternType, project, limit), cancellationToken);

    [McpServerTool(Name = "worker_search_history", UseStructuredContent = true, ReadOnly = true)]
    [Description("Search past worker executions (memories of category worker_execution); metadata carries worker_id, task_id, worker_type, status, exit_code, duration_seconds, repo, timestamp.")]
    public Task<MemorySearchResults> WorkerSearchHistory(
        [Description("What to look for, in words.")] string query,
        [Description("Only this worker type (shell, terminal-claude, ...).")] string? workerType = null,
        [Description("Only this status: completed, failed, timeout, cancelled, ...")] string? status = null,
        [Description("Most results, 1..100 (default 10).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SearchWorkerHistory, MemorySearchResults>(new SearchWorkerHistory(query, workerType, status, limit), cancellationToken);

    [McpServerTool(Name = "optimize_memories", UseStructuredContent = true)]
    [Description("Run the memory optimisation now: merge near-duplicates within a project (the survivor keeps the merged content under metadata.merged_from), tidy access counts, count stale items.")]
    public Task<MemoryOptimizationReport> OptimizeMemories(CancellationToken cancellationToken = default) =>
        requests.SendAsync<OptimizeMemories, MemoryOptimizationReport>(new OptimizeMemories(Guid.NewGuid()), cancellationToken);

    [McpServerTool(Name = "get_memory_health", UseStructuredContent = true, ReadOnly = true)]
    [Description("Memory counts by category, search hits, stale items with decayed relevance, duplicates merged and the last optimisation run.")]
    public Task<MemoryHealth> GetMemoryHealth(
        [Description("Only this project.")] string? project = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetMemoryHealth, MemoryHealth>(new GetMemoryHealth(project), cancellationToken);
}
