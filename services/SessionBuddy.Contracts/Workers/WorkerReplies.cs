using System.Text.Json;

namespace SessionBuddy.Contracts.Workers;

/// <summary>
/// One task's result, as MCP_TOOLS.md defines it; <see cref="Progress"/> is the latest progress line
/// (stream-json event or output line) while the task runs, so a waiting caller can forward it.
/// </summary>
public sealed record WorkerTaskResult(
    string WorkerId,
    Guid TaskId,
    string Status,
    string? Output,
    string? Error,
    int? ExitCode,
    double DurationSeconds,
    JsonElement Metadata,
    DateTimeOffset Timestamp,
    string WorkerType,
    string? PoolId,
    Guid? SessionId,
    string? Progress,
    long ProgressEvents,
    string? PromptOrCommand = null,
    int TimeoutSeconds = 0);

public sealed record TaskBatch(IReadOnlyList<WorkerTaskResult> Tasks);

public sealed record WorkerDetails(
    string WorkerId,
    string WorkerType,
    string? PoolId,
    string Status,
    Guid? CurrentTaskId,
    long TasksCompleted,
    long TasksFailed,
    DateTimeOffset CreatedAt);

public sealed record WorkerList(IReadOnlyList<WorkerDetails> Workers);

public sealed record PoolDetails(
    string PoolId,
    string Status,
    IReadOnlyList<string> WorkerTypes,
    int MaxWorkers,
    IReadOnlyList<WorkerDetails> Workers,
    long TasksPending,
    long TasksRunning,
    long TasksCompleted,
    long TasksFailed,
    DateTimeOffset CreatedAt);

public sealed record PoolList(IReadOnlyList<PoolDetails> Pools);

/// <summary>
/// A shut-down pool. <see cref="AkoshaPush"/> says what happened to its results on the way to Akosha
/// (<see cref="Akosha.AkoshaPushStates"/>): queued, not_configured, not_requested or already_shut_down.
/// </summary>
public sealed record PoolShutdown(string PoolId, string Status, string AkoshaPush, int CancelledTasks, IReadOnlyList<WorkerTaskResult> Results);

public sealed record WorkerCancellation(string WorkerId, int CancelledTasks, WorkerDetails Worker);

public static class WorkerStatuses
{
    public const string Idle = "idle";
    public const string Busy = "busy";
    public const string Unhealthy = "unhealthy";
    public const string Stopped = "stopped";
}

public static class PoolStatuses
{
    public const string Active = "active";
    public const string Shutdown = "shutdown";
}

public static class RoutingStrategies
{
    public const string RoundRobin = "round_robin";
    public const string LeastLoaded = "least_loaded";

    public static readonly IReadOnlyList<string> All = [RoundRobin, LeastLoaded];
}
