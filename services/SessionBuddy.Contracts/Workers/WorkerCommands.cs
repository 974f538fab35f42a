using System.Text.Json;

namespace SessionBuddy.Contracts.Workers;

// Writes carry an OperationId chosen by the gateway and reused on retries: a retried pool_create or
// pool_execute returns what the first delivery created instead of creating it again.

public sealed record CreatePool(Guid OperationId, IReadOnlyList<string> WorkerTypes, string? PoolId, int MaxWorkers);

public sealed record ListPools;

public sealed record GetPoolStatus(string PoolId);

/// <summary>
/// One task of pool_execute / pool_route_execute: a prompt or command, with its own timeout (else the
/// call's), the worker type that must run it (else any worker of the pool) and caller metadata that
/// travels into the result.
/// </summary>
public sealed record TaskSpec(string PromptOrCommand, int? TimeoutSeconds = null, string? WorkerType = null, JsonElement? Metadata = null);

/// <summary>Starts the tasks and replies at once with their ids; callers that wait poll <see cref="GetTaskResults"/>.</summary>
public sealed record ExecuteOnPool(Guid OperationId, string PoolId, IReadOnlyList<TaskSpec> Tasks, int TimeoutSeconds);

public sealed record RouteTasks(Guid OperationId, IReadOnlyList<TaskSpec> Tasks, string Strategy, int TimeoutSeconds);

public sealed record ShutdownPool(string PoolId, bool PushToAkosha);

public sealed record SpawnWorkers(Guid OperationId, string WorkerType, int Count);

/// <summary>Starts one task on the worker and replies at once; the caller polls <see cref="GetTaskResults"/>.</summary>
public sealed record ExecuteOnWorker(Guid OperationId, string WorkerId, string PromptOrCommand, int TimeoutSeconds);

public sealed record GetWorkerStatus(string WorkerId);

public sealed record ListWorkers;

public sealed record CancelWorker(string WorkerId);

public sealed record GetTaskResults(IReadOnlyList<Guid> TaskIds);
