using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SessionBuddy.Messaging;
using SessionBuddy.WorkerPool.Workers;

namespace SessionBuddy.WorkerPool.Pools;

/// <summary>Validation of WorkerPool requests; every refusal names the argument and the fix.</summary>
public sealed partial class PoolRules(IOptions<WorkerPoolOptions> options, WorkerTypes types)
{
    public WorkerPoolOptions Options => options.Value;

    public string WorkerType(string? name, string argument = "worker_type")
    {
        if (string.IsNullOrWhiteSpace(name) || types.Find(name) is null)
        {
            throw RequestRejectedException.InvalidArgument(argument,
                $"'{name}' is not a worker type; use one of {string.Join(", ", types.Names.Order())}");
        }
        return name;
    }

    public IReadOnlyList<string> WorkerTypeList(IReadOnlyList<string>? names)
    {
        if (names is null || names.Count == 0)
        {
            throw RequestRejectedException.InvalidArgument("worker_types", $"give at least one worker type ({string.Join(", ", types.Names.Order())})");
        }
        return [.. names.Select(n => WorkerType(n, "worker_types"))];
    }

    /// <summary>A pool has one worker per listed type at least, so the list may not outgrow the pool.</summary>
    public int PoolSize(int maxWorkers, int workerTypeCount)
    {
        if (workerTypeCount > options.Value.MaxWorkersPerPool)
        {
            throw RequestRejectedException.InvalidArgument("worker_types",
                $"a pool holds at most {options.Value.MaxWorkersPerPool} workers (WorkerPool:MaxWorkersPerPool), {workerTypeCount} worker types requested");
        }
        if (workerTypeCount > maxWorkers)
        {
            throw RequestRejectedException.InvalidArgument("worker_types",
                $"{workerTypeCount} worker types do not fit a pool of max_workers {maxWorkers}; raise max_workers or list fewer types");
        }
        return PoolSize(maxWorkers);
    }

    public int PoolSize(int maxWorkers)
    {
        if (maxWorkers < 1 || maxWorkers > options.Value.MaxWorkersPerPool)
        {
            throw RequestRejectedException.InvalidArgument("max_workers", $"must be 1..{options.Value.MaxWorkersPerPool} (WorkerPool:MaxWorkersPerPool), got {maxWorkers}");
        }
        return maxWorkers;
    }

    public static string PoolId(string? poolId)
    {
        if (string.IsNullOrWhiteSpace(poolId))
        {
            return "pool-" + Guid.NewGuid().ToString("N")[..8];
        }
        if (!PoolIdPattern().IsMatch(poolId))
        {
            throw RequestRejectedException.InvalidArgument("pool_id", $"'{poolId}' is not a valid pool id; use 1..64 letters, digits, '-' or '_'");
        }
        return poolId;
    }

    public static int Timeout(int seconds)
    {
        if (seconds < WorkerPoolOptions.MinTimeoutSeconds || seconds > WorkerPoolOptions.MaxTimeoutSeconds)
        {
            throw RequestRejectedException.InvalidArgument("timeout_seconds",
                $"must be {WorkerPoolOptions.MinTimeoutSeconds}..{WorkerPoolOptions.MaxTimeoutSeconds}, got {seconds}");
        }
        return seconds;
    }

    /// <summary>
    /// The tasks of one call as rows to insert: each task's own timeout, else the call's; its worker type
    /// must be one of <paramref name="allowedTypes"/> (the pool's, or those of the pools routed to).
    /// </summary>
    public IReadOnlyList<TaskSpec> Tasks(IReadOnlyList<TaskSpec>? tasks, int callTimeout, IReadOnlyCollection<string>? allowedTypes = null)
    {
        if (tasks is null || tasks.Count == 0)
        {
            throw RequestRejectedException.InvalidArgument("tasks", "give at least one task (a prompt or command)");
        }
        if (tasks.Count > options.Value.MaxTasksPerCall)
        {
            throw RequestRejectedException.InvalidArgument("tasks", $"at most {options.Value.MaxTasksPerCall} tasks per call, got {tasks.Count}");
        }
        var checkedTasks = new TaskSpec[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            if (string.IsNullOrWhiteSpace(task?.PromptOrCommand))
            {
                throw RequestRejectedException.InvalidArgument("tasks", $"task {i} is empty; every task needs a prompt or command");
            }
            if (task.Metadata is { ValueKind: not JsonValueKind.Object } metadata)
            {
                throw RequestRejectedException.InvalidArgument("tasks", $"task {i}: metadata must be a JSON object, got {metadata.ValueKind.ToString().ToLowerInvariant()}");
            }
            if (task.WorkerType is { } type)
            {
                WorkerType(type, "tasks");
                if (allowedTypes is not null && !allowedTypes.Contains(type))
                {
                    throw RequestRejectedException.InvalidArgument("tasks",
                        $"task {i} needs worker type '{type}', which the pool does not have; use one of {string.Join(", ", allowedTypes.Order())}");
                }
            }
            checkedTasks[i] = task with { TimeoutSeconds = Timeout(task.TimeoutSeconds ?? callTimeout) };
        }
        return checkedTasks;
    }

    public static string PromptOrCommand(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? throw RequestRejectedException.InvalidArgument("prompt_or_command", "is required (the prompt or command to run)")
            : text;

    public static string Strategy(string? strategy) =>
        strategy is not null && RoutingStrategies.All.Contains(strategy)
            ? strategy
            : throw RequestRejectedException.InvalidArgument("strategy", $"'{strategy}' is not a strategy; use round_robin or least_loaded");

    public int SpawnCount(int count, long alive)
    {
        if (count < 1 || count > options.Value.MaxWorkers)
        {
            throw RequestRejectedException.InvalidArgument("count", $"must be 1..{options.Value.MaxWorkers}, got {count}");
        }
        if (alive + count > options.Value.MaxWorkers)
        {
            throw RequestRejectedException.InvalidArgument("count",
                $"{alive} single workers exist and at most {options.Value.MaxWorkers} may (WorkerPool:MaxWorkers); spawn at most {options.Value.MaxWorkers - alive}");
        }
        return count;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex PoolIdPattern();
}
