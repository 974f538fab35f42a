using ModelContextProtocol.Protocol;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Gateway.Progress;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// Worker pool tools. Executing tools send a request that starts the tasks and returns at once; when
/// the caller waits, <see cref="TaskCompletionWatch"/> follows the tasks and forwards their progress.
/// </summary>
[McpServerToolType]
public sealed class WorkerPoolTools(ServiceRequests requests, TaskCompletionWatch watch)
{
    private const int DefaultTimeout = 300;

    private const string TasksDescription =
        "One entry per task: a prompt or command string, or an object {prompt | command, timeout_seconds?, worker_type?, metadata?}; " +
        "worker_type picks the pool's workers of that type, metadata is returned with the result.";

    [McpServerTool(Name = "pool_create", UseStructuredContent = true)]
    [Description("Create a pool of workers (worker types are assigned to its workers in turn). Types: shell, terminal-claude, terminal-qwen, container, and configured ones.")]
    public Task<PoolDetails> PoolCreate(
        [Description("Worker types of the pool's workers, e.g. [\"shell\"].")] string[] workerTypes,
        [Description("Pool id (letters, digits, '-', '_'); generated when omitted.")] string? poolId = null,
        [Description("Workers in the pool, 1..3 by default (WorkerPool:MaxWorkersPerPool); at least as many as worker_types.")] int maxWorkers = 3,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CreatePool, PoolDetails>(new CreatePool(Guid.NewGuid(), workerTypes ?? [], poolId, maxWorkers), cancellationToken);

    [McpServerTool(Name = "pool_list", UseStructuredContent = true, ReadOnly = true)]
    [Description("List pools with their workers and task counts.")]
    public Task<PoolList> PoolList(CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListPools, PoolList>(new ListPools(), cancellationToken);

    [McpServerTool(Name = "pool_status", UseStructuredContent = true, ReadOnly = true)]
    [Description("One pool: status, workers and task counts.")]
    public Task<PoolDetails> PoolStatus(
        [Description("Pool id.")] string poolId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetPoolStatus, PoolDetails>(new GetPoolStatus(Required(poolId, "pool_id")), cancellationToken);

    [McpServerTool(Name = "pool_execute", UseStructuredContent = true)]
    [Description("Run tasks on a pool, each in its own session workspace. With wait=true the call returns the results and reports progress; otherwise it returns the pending tasks at once.")]
    public async Task<TaskBatch> PoolExecute(
        [Description("Pool id.")] string poolId,
        [Description(TasksDescription)] PoolTaskArgument[] tasks,
        [Description("Wait for the results (progress is reported while waiting).")] bool wait = false,
        [Description("Timeout of tasks that set none, 30..3600 s.")] int timeoutSeconds = DefaultTimeout,
        RequestContext<CallToolRequestParams>? request = null,
        CancellationToken cancellationToken = default)
    {
        var batch = await requests.SendAsync<ExecuteOnPool, TaskBatch>(
            new ExecuteOnPool(Guid.NewGuid(), Required(poolId, "pool_id"), PoolTaskArgument.ToTaskSpecs(tasks), timeoutSeconds), cancellationToken);
        return wait ? new TaskBatch(await watch.WaitAsync(batch.Tasks, request is null ? null : new CallerProgress(request), cancellationToken)) : batch;
    }

    [McpServerTool(Name = "pool_route_execute", UseStructuredContent = true)]
    [Description("Spread tasks across the active pools with a healthy worker: round_robin or least_loaded.")]
    public async Task<TaskBatch> PoolRouteExecute(
        [Description(TasksDescription)] PoolTaskArgument[] tasks,
        [Description("round_robin or least_loaded.")] string strategy = RoutingStrategies.RoundRobin,
        [Description("Wait for the results (progress is reported while waiting).")] bool wait = false,
        [Description("Timeout of tasks that set none, 30..3600 s.")] int timeoutSeconds = DefaultTimeout,
        RequestContext<CallToolRequestParams>? request = null,
        CancellationToken cancellationToken = default)
    {
        var batch = await requests.SendAsync<RouteTasks, TaskBatch>(
            new RouteTasks(Guid.NewGuid(), PoolTaskArgument.ToTaskSpecs(tasks), strategy, timeoutSeconds), cancellationToken);
        return wait ? new TaskBatch(await watch.WaitAsync(batch.Tasks, request is null ? null : new CallerProgress(request), cancellationToken)) : batch;
    }

    [McpServerTool(Name = "pool_shutdown", UseStructuredContent = true, Destructive = true)]
    [Description("Stop a pool's workers (cancelling unfinished tasks) and return all its results. akosha_push says what happened to them: queued (AkoshaSync pushes them; akosha_sync_status follows it), not_configured (no Akosha:Endpoint), not_requested or already_shut_down.")]
    public Task<PoolShutdown> PoolShutdown(
        [Description("Pool id.")] string poolId,
        [Description("Queue the collected results for the push to Akosha.")] bool pushToAkosha = true,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ShutdownPool, PoolShutdown>(new ShutdownPool(Required(poolId, "pool_id"), pushToAkosha), cancellationToken);

    [McpServerTool(Name = "worker_spawn", UseStructuredContent = true)]
    [Description("Create single workers of one type (outside pools).")]
    public Task<WorkerList> WorkerSpawn(
        [Description("shell, terminal-claude, terminal-qwen, container or a configured type.")] string workerType,
        [Description("How many workers.")] int count = 1,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SpawnWorkers, WorkerList>(new SpawnWorkers(Guid.NewGuid(), workerType, count), cancellationToken);

    [McpServerTool(Name = "worker_execute", UseStructuredContent = true)]
    [Description("Run a prompt or command on a worker in a fresh session workspace and return its result; progress is reported while it runs.")]
    public async Task<WorkerTaskResult> WorkerExecute(
        [Description("Worker id.")] string workerId,
        [Description("The prompt (AI CLI workers) or command (shell, container).")] string promptOrCommand,
        [Description("Timeout, 30..3600 s; the process tree is killed when it expires.")] int timeoutSeconds = DefaultTimeout,
        RequestContext<CallToolRequestParams>? request = null,
        CancellationToken cancellationToken = default)
    {
        var batch = await requests.SendAsync<ExecuteOnWorker, TaskBatch>(
            new ExecuteOnWorker(Guid.NewGuid(), Required(workerId, "worker_id"), promptOrCommand, timeoutSeconds), cancellationToken);
        return (await watch.WaitAsync(batch.Tasks, request is null ? null : new CallerProgress(request), cancellationToken))[0];
    }

    [McpServerTool(Name = "worker_status", UseStructuredContent = true, ReadOnly = true)]
    [Description("One worker: status (idle, busy, unhealthy, stopped), current task and counts.")]
    public Task<WorkerDetails> WorkerStatus(
        [Description("Worker id.")] string workerId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetWorkerStatus, WorkerDetails>(new GetWorkerStatus(Required(workerId, "worker_id")), cancellationToken);

    [McpServerTool(Name = "worker_list", UseStructuredContent = true, ReadOnly = true)]
    [Description("All workers, single and pooled.")]
    public Task<WorkerList> WorkerList(CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListWorkers, WorkerList>(new ListWorkers(), cancellationToken);

    [McpServerTool(Name = "worker_cancel", UseStructuredContent = true)]
    [Description("Cancel a worker's running and queued tasks (their process trees are killed).")]
    public Task<WorkerCancellation> WorkerCancel(
        [Description("Worker id.")] string workerId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CancelWorker, WorkerCancellation>(new CancelWorker(Required(workerId, "worker_id")), cancellationToken);

    [McpServerTool(Name = "worker_task_status", UseStructuredContent = true, ReadOnly = true)]
    [Description("Results (or current state and latest progress) of tasks by id, e.g. those pool_execute returned without waiting.")]
    public Task<TaskBatch> WorkerTaskStatus(
        [Description("Task ids (UUIDs).")] string[] taskIds,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetTaskResults, TaskBatch>(
            new GetTaskResults([.. (taskIds ?? []).Select(id => ToolArguments.Id(id, "task_ids"))]), cancellationToken);

    private static string Required(string? value, string argument) =>
        string.IsNullOrWhiteSpace(value) ? throw new Mcp.ToolArgumentException(argument, "is required") : value;
}
