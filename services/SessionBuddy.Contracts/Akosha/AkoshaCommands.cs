using System.Text.Json;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Contracts.Akosha;

/// <summary>
/// sync_to_akosha: push now. <see cref="Scope"/> is <c>pending</c> (every waiting item, skipping its backoff) or
/// <c>all</c> (also the dead letters, replayed first).
/// </summary>
public sealed record SyncToAkosha(string? Scope = null);

/// <summary>akosha_sync_status: the push pipeline's counts, circuit state and last outcomes.</summary>
public sealed record GetAkoshaSyncStatus;

/// <summary>akosha_dead_letters: items that failed every attempt, newest first.</summary>
public sealed record ListAkoshaDeadLetters(int? Limit = null);

/// <summary>akosha_replay: dead letters back into the push queue; all of them when <see cref="Ids"/> is empty.</summary>
public sealed record ReplayAkoshaDeadLetters(IReadOnlyList<Guid>? Ids = null);

/// <summary>
/// akosha_push_results (hub side): store worker results on this hub as if <see cref="SystemId"/> had pushed them.
/// Results already stored for that system (same task id) are reported as duplicates, not stored twice.
/// <see cref="Metadata"/> is accepted (the tool's signature in MCP_TOOLS.md has it) and not stored.
/// </summary>
public sealed record PushResultsToHub(string PoolId, IReadOnlyList<WorkerTaskCompleted> Results, JsonElement? Metadata = null, string? SystemId = null);

/// <summary>
/// akosha_search_workers / search_all_systems (hub side): hybrid search over the items every system pushed to
/// this hub, answered by the Memory service. Times are ISO 8601 and bound when the hub received the item.
/// <see cref="Kind"/> keeps one kind of <see cref="AkoshaItemKinds"/> (worker_result, reflection, session_summary);
/// worker types only match worker results.
/// </summary>
public sealed record SearchAkoshaResults(
    string Query,
    string? SystemId = null,
    IReadOnlyList<string>? WorkerTypes = null,
    string? Since = null,
    string? Until = null,
    int? Limit = null,
    double? MinScore = null,
    string? Kind = null);
