using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.WorkerPool.Confinement;
using SessionBuddy.WorkerPool.Pools;
using SessionBuddy.WorkerPool.Processes;
using SessionBuddy.WorkerPool.Tasks;
using SessionBuddy.WorkerPool.Workers;
using SessionBuddy.WorkerPool.Workspaces;

namespace SessionBuddy.WorkerPool.Tasks;

/// <summary>
/// Runs accepted tasks in this process: one task at a time per worker across all replicas (a
/// <see cref="WorkerLease"/>), at most the pool's size per pool and WorkerPool:MaxConcurrentTasks
/// overall in this replica. A failed pool task is retried on another worker of the pool
/// (WorkerPool:MaxRetries); every outcome is stored with its outbox event.
/// </summary>
public sealed partial class TaskDispatcher(
    NpgsqlDataSource dataSource,
    TaskStore tasks,
    PoolStore pools,
    WorkerTypes types,
    TaskWorkspaces workspaces,
    IOptions<WorkerPoolOptions> options,
    TaskConfinement confinement,
    IBus publisher,
    IHostApplicationLifetime lifetime,
    ILogger<TaskDispatcher> logger)
{
    private static readonly TimeSpan WorkerListTtl = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OtherReplicasPoll = TimeSpan.FromMilliseconds(50);

    private readonly SemaphoreSlim _global = new(Math.Clamp(options.Value.MaxConcurrentTasks, 1, 100));
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();
    private readonly ConcurrentDictionary<string, byte> _busyWorkers = new();
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<string, (IReadOnlyList<WorkerDetails> Workers, long ReadAt)> _healthyWorkers = new();
    private long _workerChanges;
    private readonly Channel<(TaskFinish Finish, TaskCompletionSource<WorkerTaskResult?> Done)> _finishes =
        Channel.CreateUnbounded<(TaskFinish, TaskCompletionSource<WorkerTaskResult?>)>(new UnboundedChannelOptions { SingleReader = true });
    private int _finisherStarted;

    public int Running => _running.Count;

    /// <summary>Starts the tasks in the background; <paramref name="poolSize"/> bounds a pool's parallelism.</summary>
    public void Start(IReadOnlyList<WorkerTaskResult> accepted, int poolSize = 1)
    {
        var started = new List<(WorkerTaskResult Task, CancellationTokenSource Cancel)>(accepted.Count);
        foreach (var task in accepted)
        {
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
            if (!_running.TryAdd(task.TaskId, cancel))
            {
                cancel.Dispose();
                continue;
            }
            started.Add((task, cancel));
        }
        workspaces.Reserve(started.Select(s => s.Task.TaskId));
        foreach (var (task, cancel) in started)
        {
            var queued = Stopwatch.StartNew();
            _ = Task.Run(() => RunAsync(task, poolSize, queued, cancel));
        }
    }

    public bool Cancel(Guid taskId)
    {
        if (_running.TryGetValue(taskId, out var cancel))
        {
            try
            {
                cancel.Cancel();
                return true;
            }
            catch (ObjectDisposedException)
            {
            }
        }
        return false;
    }

    private async Task RunAsync(WorkerTaskResult task, int poolSize, Stopwatch queued, CancellationTokenSource cancel)
    {
        try
        {
            if (task.PoolId is null)
            {
                await RunOnWorkerAsync(task, queued, cancel.Token);
            }
            else
            {
                await RunOnPoolAsync(task, poolSize, queued, cancel.Token);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            var stopping = lifetime.ApplicationStopping.IsCancellationRequested;
            await FinishAsync(task, null, Outcome(stopping ? WorkerTaskStatuses.Failed : WorkerTaskStatuses.Cancelled,
                stopping ? "the WorkerPool service stopped before the task ran; run it again" : "cancelled before it started", queued), null);
        }
        catch (Exception ex)
        {
            LogTaskCrashed(task.TaskId, ex);
            await FinishAsync(task, null, Outcome(WorkerTaskStatuses.Failed, "internal error while running the task: " + ex.Message, queued), null);
        }
        finally
        {
            workspaces.Forgo(task.TaskId);
            _running.TryRemove(task.TaskId, out _);
            cancel.Dispose();
        }
    }

    private async Task RunOnWorkerAsync(WorkerTaskResult task, Stopwatch queued, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd("worker:" + task.WorkerId, _ => new SemaphoreSlim(1));
        Execution run;
        await gate.WaitAsync(ct);
        try
        {
            await _global.WaitAsync(ct);
            try
            {
                await using var lease = await WorkerLease.AcquireAsync(dataSource, task.WorkerId, ct);
                run = await ExecuteAsync(task, task.WorkerId, task.WorkerType, 1, null, queued, ct);
            }
            finally
            {
                _global.Release();
            }
        }
        finally
        {
            gate.Release();
        }
        // The worker is free once its process exited; the bookkeeping does not hold its slot.
        await run.Started;
        await FinishAsync(task, task.WorkerId, run.Outcome, run.Workspace, countForWorker: true);
    }

    private async Task RunOnPoolAsync(WorkerTaskResult task, int poolSize, Stopwatch queued, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd("pool:" + task.PoolId, _ => new SemaphoreSlim(Math.Max(1, poolSize)));
        var tried = new List<string>();
        TaskWorkspace? previous = null;
        for (var attempt = 1; ; attempt++)
        {
            WorkerDetails? worker;
            Execution run = default;
            await gate.WaitAsync(ct);
            try
            {
                await _global.WaitAsync(ct);
                try
                {
                    WorkerLease? lease;
                    (worker, lease) = await PickWorkerAsync(task, tried, ct);
                    if (worker is not null)
                    {
                        try
                        {
                            run = await ExecuteAsync(task, worker.WorkerId, worker.WorkerType, attempt, previous, queued, ct);
                            previous = run.Workspace ?? previous;
                        }
                        finally
                        {
                            await lease!.DisposeAsync();
                            _busyWorkers.TryRemove(worker.WorkerId, out _);
                        }
                    }
                }
                finally
                {
                    _global.Release();
                }
            }
            finally
            {
                gate.Release();
            }
            if (worker is null)
            {
                await FinishAsync(task, null, Outcome(WorkerTaskStatuses.Failed, $"pool '{task.PoolId}' has no healthy worker left", queued), null);
                return;
            }
            tried.Add(worker.WorkerId);
            await run.Started;
            var outcome = run.Outcome!; // set whenever a worker was picked
            outcome.Metadata["workers_tried"] = tried.ToArray();
            if (outcome.Status == WorkerTaskStatuses.Failed && attempt <= options.Value.MaxRetries && !ct.IsCancellationRequested)
            {
                // Counted first, so a worker that just turned unhealthy is not picked again.
                await pools.RecordOutcomeAsync(worker.WorkerId, succeeded: false, options.Value.UnhealthyAfterFailures, CancellationToken.None);
                ForgetHealthyWorkers(task.PoolId!);
                LogRetrying(task.TaskId, worker.WorkerId, attempt);
                continue;
            }
            await FinishAsync(task, worker.WorkerId, outcome, run.Workspace, countForWorker: true);
            return;
        }
    }

    /// <summary>
    /// A healthy worker of the task's pool that no task of any replica holds (of the worker type the task requested,
    /// if any), preferring those the task has not failed on, with its lease; waits while other replicas hold them
    /// all. Null when the pool has no healthy worker.
    /// </summary>
    private async Task<(WorkerDetails? Worker, WorkerLease? Lease)> PickWorkerAsync(WorkerTaskResult task, List<string> tried, CancellationToken ct)
    {
        var requestedType = task.Metadata.ValueKind == JsonValueKind.Object &&
            task.Metadata.TryGetProperty(NewTask.RequestedWorkerTypeKey, out var type) ? type.GetString() : null;
        while (true)
        {
            var workers = (await HealthyWorkersAsync(task.PoolId!, ct)).Where(w => requestedType is null || w.WorkerType == requestedType).ToList();
            if (workers.Count == 0)
            {
                return (null, null);
            }
            foreach (var candidate in workers.OrderBy(w => tried.Contains(w.WorkerId)))
            {
                if (!_busyWorkers.TryAdd(candidate.WorkerId, 0))
                {
                    continue;
                }
                WorkerLease? lease = null;
                try
                {
                    lease = await WorkerLease.TryAcquireAsync(dataSource, candidate.WorkerId, ct);
                }
                finally
                {
                    if (lease is null)
                    {
                        _busyWorkers.TryRemove(candidate.WorkerId, out _);
                    }
                }
                if (lease is not null)
                {
                    return (candidate, lease);
                }
            }
            // Every worker is running a task of another replica: the pool's size bounds it across replicas too.
            await Task.Delay(OtherReplicasPoll, ct);
        }
    }

    /// <summary>
    /// The pool's healthy workers, least used first. Read from the database at most every
    /// WorkerListTtl, and again after a failure here (which may have replaced a worker), so picking
    /// a worker costs no query per task; a change made by another instance is seen within the TTL.
    /// </summary>
    private async Task<IReadOnlyList<WorkerDetails>> HealthyWorkersAsync(string poolId, CancellationToken ct)
    {
        if (_healthyWorkers.TryGetValue(poolId, out var cached) && Stopwatch.GetElapsedTime(cached.ReadAt) < WorkerListTtl)
        {
            return cached.Workers;
        }
        var generation = Volatile.Read(ref _workerChanges);
        var healthy = (await pools.ListWorkersAsync(poolId, includePoolWorkers: true, ct))
            .Where(w => w.Status is WorkerStatuses.Idle or WorkerStatuses.Busy)
            .OrderBy(w => w.TasksCompleted + w.TasksFailed)
            .ToList();
        if (generation == Volatile.Read(ref _workerChanges))
        {
            // Not cached when a failure was recorded meanwhile: the list may predate it.
            _healthyWorkers[poolId] = (healthy, Stopwatch.GetTimestamp());
        }
        return healthy;
    }

    /// <summary>A task's run on a worker; <see cref="Started"/> is its pending "running" row, awaited after the slot is free.</summary>
    private readonly record struct Execution(ExecutionOutcome Outcome, TaskWorkspace? Workspace, Task Started);

    private async Task<Execution> ExecuteAsync(
        WorkerTaskResult task, string workerId, string workerType, int attempt, TaskWorkspace? previous, Stopwatch queued, CancellationToken ct)
    {
        var queueMs = queued.Elapsed.TotalMilliseconds;
        var gcBefore = GC.GetTotalPauseDuration();
        var slot = Stopwatch.StartNew();
        var type = types.Find(workerType);
        if (type is null)
        {
            return new(Outcome(WorkerTaskStatuses.Failed, $"worker type '{workerType}' is not configured on this instance", queued), null, Task.CompletedTask);
        }
        TaskWorkspace workspace;
        if (previous is not null)
        {
            // A retry stays in the task's session; its log goes to a directory of its own.
            var baseOutput = attempt > 2 ? Path.GetDirectoryName(previous.OutputDir)! : previous.OutputDir;
            workspace = previous with { OutputDir = Path.Combine(baseOutput, $"attempt-{attempt}") };
        }
        else
        {
            try
            {
                workspace = await workspaces.CreateAsync(task.TaskId, workerId, workerType, task.PoolId, ct);
            }
            catch (Exception ex) when (ex is MassTransit.RequestTimeoutException or MassTransit.RequestFaultException or InvalidOperationException)
            {
                return new(Outcome(WorkerTaskStatuses.Failed, "could not create the task's session workspace: " + ex.Message, queued), null, Task.CompletedTask);
            }
        }
        var sessionMs = slot.Elapsed.TotalMilliseconds;
        // Bookkeeping overlaps the process: the "running" row and session status are written while it runs, the row
        // from the thread pool, so not even the write's synchronous part (renting a connection, sending) delays the spawn.
        var started = Task.Run(() => tasks.StartAsync(task.TaskId, workerId, workerType, workspace.SessionId, attempt, CancellationToken.None), CancellationToken.None);

        var reporter = new ProgressReporter(tasks, publisher, task.TaskId, workerId);
        reporter.Started();
        var runStartMs = slot.Elapsed.TotalMilliseconds;
        var outcome = await TaskProcess.RunAsync(
            type, task.PromptOrCommand ?? "", workspace, TimeSpan.FromSeconds(task.TimeoutSeconds), options.Value.MaxOutputChars,
            confinement, reporter.Report, ct);
        if (outcome.Status == WorkerTaskStatuses.Cancelled && lifetime.ApplicationStopping.IsCancellationRequested)
        {
            outcome = outcome with { Status = WorkerTaskStatuses.Failed, Error = "the WorkerPool service stopped while the task was running; run it again" };
        }
        var processMs = outcome.ProcessSeconds * 1000;
        outcome.Metadata["attempt"] = attempt;
        outcome.Metadata["workspace_dir"] = workspace.WorkspaceDir;
        outcome.Metadata["output_dir"] = workspace.OutputDir;
        outcome.Metadata["queue_ms"] = Math.Round(queueMs, 3);
        outcome.Metadata["session_ms"] = Math.Round(sessionMs, 3);
        // Time this task held its worker beyond its process's own run (session, spawning, and everything from the
        // process being reaped to here: exit detection, output collection).
        var slotMs = slot.Elapsed.TotalMilliseconds;
        // This service's GC pauses while the task held its worker (they stall its threads, so the overhead includes them).
        outcome.Metadata["gc_pause_ms"] = Math.Round((GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds, 3);
        outcome.Metadata["overhead_ms"] = Math.Round(slotMs - processMs, 3);
        if (outcome.Metadata.TryGetValue("start_overhead_ms", out var spawnMs) && spawnMs is double spawn)
        {
            // The overhead's part after the process's run: from its exit to the result being ready.
            outcome.Metadata["after_exit_ms"] = Math.Round(slotMs - runStartMs - spawn - processMs, 3);
        }
        // The "running" row is awaited by the caller once the worker's slot is free (before the result is stored).
        return new(outcome with { DurationSeconds = slot.Elapsed.TotalSeconds }, workspace, started);
    }

    /// <summary>After a failure was counted: the worker may have turned unhealthy and been replaced.</summary>
    private void ForgetHealthyWorkers(string? poolId)
    {
        Interlocked.Increment(ref _workerChanges);
        if (poolId is not null)
        {
            _healthyWorkers.TryRemove(poolId, out _);
        }
    }

    /// <summary>Stores the result; with <paramref name="countForWorker"/> the worker's counters change in the same transaction.</summary>
    private async Task FinishAsync(WorkerTaskResult task, string? workerId, ExecutionOutcome outcome, TaskWorkspace? workspace, bool countForWorker = false)
    {
        var succeeded = outcome.Status == WorkerTaskStatuses.Completed;
        var counted = countForWorker && workerId is not null;
        var finish = new TaskFinish(task.TaskId, workerId, outcome.Status, outcome.Output, outcome.Error, outcome.ExitCode, outcome.DurationSeconds,
            ResultMetadata(task, outcome), counted);
        var done = new TaskCompletionSource<WorkerTaskResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _finisherStarted, 1, 0) == 0)
        {
            _ = Task.Run(WriteFinishesAsync, CancellationToken.None);
        }
        _finishes.Writer.TryWrite((finish, done));
        var finished = await done.Task;
        if (counted && !succeeded)
        {
            ForgetHealthyWorkers(task.PoolId);
        }
        if (finished is not null && workspace is not null)
        {
            // After the "running" update, so the session ends with the task's outcome.
            var status = outcome.Status == WorkerTaskStatuses.Completed ? SessionStatuses.Completed : SessionStatuses.Failed;
            _ = (workspace.StatusUpdate ?? Task.CompletedTask).ContinueWith(_ => workspaces.SetStatusAsync(workspace.SessionId, status), TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>The caller's metadata of the task with what the run measured added (the run's keys win).</summary>
    private static string ResultMetadata(WorkerTaskResult task, ExecutionOutcome outcome)
    {
        if (task.Metadata.ValueKind != JsonValueKind.Object || !task.Metadata.EnumerateObject().Any())
        {
            return JsonSerializer.Serialize(outcome.Metadata);
        }
        var merged = JsonNode.Parse(task.Metadata.GetRawText())!.AsObject();
        foreach (var (key, value) in JsonSerializer.SerializeToNode(outcome.Metadata)!.AsObject().ToList())
        {
            merged[key] = value?.DeepClone();
        }
        return merged.ToJsonString();
    }

    /// <summary>
    /// Writes the results that finished while the previous write was under way (up to 100) in one
    /// transaction with their outbox events and worker counters: at hundreds of tasks a second that is
    /// a few statements per batch instead of four round trips per task. One writer, so results of one
    /// worker are counted in the order they finished. A batch that fails is retried result by result.
    /// </summary>
    private async Task WriteFinishesAsync()
    {
        var batch = new List<(TaskFinish Finish, TaskCompletionSource<WorkerTaskResult?> Done)>();
        while (await _finishes.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 100 && _finishes.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            try
            {
                await WriteAsync(batch);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                LogBatchFailed(batch.Count, ex);
                foreach (var item in batch)
                {
                    try
                    {
                        await WriteAsync([item]);
                    }
                    catch (Exception single)
                    {
                        item.Done.TrySetException(single);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Done.TrySetException(ex);
            }
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<(TaskFinish Finish, TaskCompletionSource<WorkerTaskResult?> Done)> batch)
    {
        var outcomes = batch.Where(b => b.Finish.CountForWorker)
            .Select(b => (b.Finish.WorkerId!, b.Finish.Status == WorkerTaskStatuses.Completed)).ToList();
        var finished = await tasks.FinishManyAsync(
            [.. batch.Select(b => b.Finish)],
            outcomes.Count == 0 ? null : (connection, transaction, ct) => PoolStore.RecordOutcomesAsync(connection, transaction, outcomes, options.Value.UnhealthyAfterFailures, ct),
            CancellationToken.None);
        foreach (var (finish, done) in batch)
        {
            done.TrySetResult(finished.GetValueOrDefault(finish.TaskId));
        }
    }

    private static ExecutionOutcome Outcome(string status, string error, Stopwatch queued) =>
        new(status, "", error, null, queued.Elapsed.TotalSeconds, 0, []);

    /// <summary>
    /// Pushes a task's progress as it happens: its start, then each output line as a <see cref="TaskProgressed"/>
    /// event (and the task row's latest line, for worker_task_status). At most one publish is in flight per task;
    /// lines that arrive meanwhile are folded into the next one, so a chatty task costs one message per round
    /// trip, not one per line, and nothing waits on a timer.
    /// </summary>
    private sealed class ProgressReporter(TaskStore tasks, IBus publisher, Guid taskId, string workerId)
    {
        private string? _pending;
        private long _events;
        private int _sending;

        public void Started() => Push(WorkerTaskStatuses.Running, null);

        public void Report(string line)
        {
            Interlocked.Increment(ref _events);
            Push(WorkerTaskStatuses.Running, line);
        }

        private void Push(string status, string? line)
        {
            Volatile.Write(ref _pending, line ?? "");
            if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
            {
                _ = Task.Run(() => SendAsync(status));
            }
        }

        private async Task SendAsync(string status)
        {
            while (true)
            {
                if (Interlocked.Exchange(ref _pending, null) is { } line)
                {
                    var events = Interlocked.Read(ref _events);
                    var progress = new TaskProgressed(taskId, workerId, status, line.Length == 0 ? null : line, events, DateTimeOffset.UtcNow);
                    try
                    {
                        await Task.WhenAll(
                            publisher.Publish(progress, context => context.Durable = false),
                            line.Length == 0 ? Task.CompletedTask : tasks.ReportProgressAsync(taskId, line, events, CancellationToken.None));
                    }
                    catch (Exception)
                    {
                        // Progress is advisory; the final result is stored and published through the outbox.
                    }
                }
                Volatile.Write(ref _sending, 0);
                if (Volatile.Read(ref _pending) is null || Interlocked.CompareExchange(ref _sending, 1, 0) != 0)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Task {TaskId} failed inside the dispatcher")]
    private partial void LogTaskCrashed(Guid taskId, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Storing {Count} task results at once failed; storing them one by one")]
    private partial void LogBatchFailed(int count, Exception ex);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} failed on worker {WorkerId} (attempt {Attempt}); retrying on another worker")]
    private partial void LogRetrying(Guid taskId, string workerId, int attempt);
}
