using System.Text.Json;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// Akosha tools: this instance's push pipeline (AkoshaSync) and, on a hub (Akosha:HubEnabled), the results others
/// pushed (stored by AkoshaSync, searched by Memory's hybrid search).
/// </summary>
[McpServerToolType]
public sealed class AkoshaTools(ServiceRequests requests)
{
    [McpServerTool(Name = "sync_to_akosha", UseStructuredContent = true)]
    [Description("Push to Akosha now: every queued item becomes due at once (skipping its backoff). scope all also replays the dead letters first. The reply carries the pipeline's status; configured false means no Akosha:Endpoint is set and nothing is pushed.")]
    public Task<AkoshaSyncRequested> SyncToAkosha(
        [Description("pending (default): the queued items; all: also the dead letters.")] string? scope = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SyncToAkosha, AkoshaSyncRequested>(new SyncToAkosha(scope), cancellationToken);

    [McpServerTool(Name = "akosha_sync_status", UseStructuredContent = true, ReadOnly = true)]
    [Description("State of the push to Akosha: items pending (of which failed, waiting for a retry), sent, dead-lettered; the circuit breaker (closed, open, half_open); last success and last error; and on a hub, the results received.")]
    public Task<AkoshaSyncStatus> AkoshaSyncStatus(CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetAkoshaSyncStatus, AkoshaSyncStatus>(new GetAkoshaSyncStatus(), cancellationToken);

    [McpServerTool(Name = "akosha_dead_letters", UseStructuredContent = true, ReadOnly = true)]
    [Description("Items the hub refused on every attempt (Akosha:MaxAttempts), newest first, each with its last error; akosha_replay sends them again.")]
    public Task<AkoshaDeadLetters> AkoshaDeadLetters(
        [Description("Most dead letters, 1..500 (default 50).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListAkoshaDeadLetters, AkoshaDeadLetters>(new ListAkoshaDeadLetters(limit), cancellationToken);

    [McpServerTool(Name = "akosha_replay", UseStructuredContent = true)]
    [Description("Put dead letters back into the push queue with fresh attempts: the given ids, or all of them when ids is omitted. Ids that are not dead letters come back in not_found.")]
    public Task<AkoshaReplayed> AkoshaReplay(
        [Description("Dead-letter ids (UUIDs) from akosha_dead_letters; omit to replay all.")] string[]? ids = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ReplayAkoshaDeadLetters, AkoshaReplayed>(
            new ReplayAkoshaDeadLetters(ids?.Select((id, i) => ToolArguments.Id(id, $"ids[{i}]")).ToList()), cancellationToken);

    [McpServerTool(Name = "akosha_push_results", UseStructuredContent = true)]
    [Description("Hub side: store worker results on this Akosha hub (Akosha:HubEnabled) for system_id (default this instance), once per task id; they become searchable with akosha_search_workers and search_all_systems.")]
    public Task<AkoshaResultsAccepted> AkoshaPushResults(
        [Description("The pool the results came from.")] string poolId,
        [Description("Worker results as pool_shutdown returns them: worker_id, task_id, worker_type, prompt_or_command, status, output, error, exit_code, duration_seconds, timestamp.")] WorkerTaskCompleted[] results,
        [Description("Free-form JSON object about the push; accepted for compatibility and NOT stored (the hub keeps each result with its pool_id and system_id only).")] JsonElement? metadata = null,
        [Description("The system the results belong to (default this instance's Akosha:SystemId).")] string? systemId = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<PushResultsToHub, AkoshaResultsAccepted>(new PushResultsToHub(poolId, results ?? [], metadata, systemId), cancellationToken);

    [McpServerTool(Name = "akosha_search_workers", UseStructuredContent = true, ReadOnly = true)]
    [Description("Hub side: hybrid search over worker executions every system pushed to this hub, by worker types and the time the hub received them; metadata carries system_id, pool_id, task_id, worker_type, status.")]
    public Task<MemorySearchResults> AkoshaSearchWorkers(
        [Description("What to look for, in words.")] string query,
        [Description("Received at or after this ISO 8601 time.")] string? since = null,
        [Description("Received before this ISO 8601 time.")] string? until = null,
        [Description("Only these worker types (any of them).")] string[]? workerTypes = null,
        [Description("Most results, 1..100 (default 10).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        SearchAllSystems(query, limit, null, null, workerTypes, since, until, AkoshaItemKinds.WorkerResult, cancellationToken);

    [McpServerTool(Name = "search_all_systems", UseStructuredContent = true, ReadOnly = true)]
    [Description("Hub side: hybrid search across every system that pushed to this hub: worker results, and reflections and session summaries from systems that forward them. Optionally only one system_id, kind, worker types or a time range. Each hit's metadata says its kind and system_id.")]
    public Task<MemorySearchResults> SearchAllSystems(
        [Description("What to look for, in words.")] string query,
        [Description("Most results, 1..100 (default 10).")] int? limit = null,
        [Description("Drop results scoring below this.")] double? threshold = null,
        [Description("Only results pushed by this system.")] string? systemId = null,
        [Description("Only these worker types (any of them).")] string[]? workerTypes = null,
        [Description("Received at or after this ISO 8601 time.")] string? since = null,
        [Description("Received before this ISO 8601 time.")] string? until = null,
        [Description("Only this kind of item: worker_result, reflection or session_summary.")] string? kind = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SearchAkoshaResults, MemorySearchResults>(
            new SearchAkoshaResults(query, systemId, workerTypes, since, until, limit, threshold, kind), cancellationToken);
}
