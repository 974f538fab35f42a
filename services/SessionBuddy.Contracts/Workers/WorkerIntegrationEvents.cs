namespace SessionBuddy.Contracts.Workers;

/// <summary>
/// A worker task finished (whatever its outcome). Published by the WorkerPool service through its
/// outbox; the Memory service stores it as a memory of category <c>worker_execution</c>, and
/// AkoshaSync forwards it. <see cref="TaskId"/> identifies the execution; consumers de-duplicate on
/// the message id.
/// </summary>
public sealed record WorkerTaskCompleted(
    string WorkerId,
    Guid TaskId,
    string WorkerType,
    string PromptOrCommand,
    string Status,
    string? Output,
    string? Error,
    int? ExitCode,
    double DurationSeconds,
    string? Repo,
    DateTimeOffset Timestamp,
    string? PoolId = null,
    Guid? SessionId = null);

/// <summary>
/// A task started running or wrote an output line (or stream-json event; <see cref="Sequence"/> counts
/// them). Published by the WorkerPool service straight to the bus as each line arrives, not through the
/// outbox: progress is transient, and a lost one is superseded by the next or by the final result
/// (<see cref="WorkerTaskCompleted"/>). The gateway forwards them to the caller as MCP progress notifications.
/// </summary>
public sealed record TaskProgressed(Guid TaskId, string WorkerId, string Status, string? Line, long Sequence, DateTimeOffset Timestamp);

public static class WorkerTaskStatuses
{
    public const string Pending = "pending";
    public const string Starting = "starting";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Pending, Starting, Running, Completed, Failed, Timeout, Cancelled];

    public static readonly IReadOnlyList<string> Final = [Completed, Failed, Timeout, Cancelled];
}

/// <summary>
/// A pool was shut down with push_to_akosha: the results of all its tasks, for AkoshaSync to push.
/// Published through the WorkerPool outbox; consumers de-duplicate on the message id.
/// </summary>
public sealed record PoolResultsCollected(string PoolId, IReadOnlyList<WorkerTaskCompleted> Results, DateTimeOffset CollectedAt);
