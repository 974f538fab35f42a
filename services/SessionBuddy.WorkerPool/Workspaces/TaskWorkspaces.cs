using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Contracts;

namespace SessionBuddy.WorkerPool.Workspaces;

/// <summary>
/// Gives every task its own session (and so its own workspace and output dir, listed in the session
/// index) through the Sessions service, and reports the task's outcome as the session's status.
/// </summary>
public sealed partial class TaskWorkspaces(IClientFactory clients, IOptions<WorkerPoolOptions> options, ILogger<TaskWorkspaces> logger)
    : IHostedService
{
    private static readonly RequestTimeout SessionTimeout = RequestTimeout.After(s: 15);

    // Sessions created ahead of demand, so a task does not wait for a Sessions round trip before its
    // process starts; each is used by exactly one task, which then names it and sets its metadata.
    // The stock is WorkerPool:PreparedSessions plus one per accepted task that has not taken its
    // session yet (at most MaxPreparedAhead), refilled with one CreateSessions request per batch, up to
    // MaxRequestsUnderWay batches at once, so a burst of tasks across many pools does not drain it.
    private const int BatchSize = 50;
    private const int MaxPreparedAhead = 256;
    private const int MaxRequestsUnderWay = 3;

    private readonly Channel<TaskWorkspace> _prepared = Channel.CreateUnbounded<TaskWorkspace>();
    private readonly ConcurrentDictionary<Guid, byte> _reserved = new();
    private readonly SemaphoreSlim _refill = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _refiller = Task.CompletedTask;
    private readonly ConcurrentDictionary<Task, byte> _preparing = new();
    private int _sessionsUnderWay;
    private int _requestsUnderWay;

    private readonly Channel<(UpdateSession Update, TaskCompletionSource Sent)> _updates =
        Channel.CreateUnbounded<(UpdateSession, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private Task _updater = Task.CompletedTask;

    private bool Preparing => options.Value.CreateSessions && options.Value.PreparedSessions > 0;

    /// <summary>Announces tasks that will each take a session soon, so the stock grows before they ask.</summary>
    public void Reserve(IEnumerable<Guid> taskIds)
    {
        if (!Preparing)
        {
            return;
        }
        foreach (var id in taskIds)
        {
            _reserved.TryAdd(id, 0);
        }
        Signal();
    }

    /// <summary>A reserved task ended without taking its session.</summary>
    public void Forgo(Guid taskId) => _reserved.TryRemove(taskId, out _);

    public async Task<TaskWorkspace> CreateAsync(Guid taskId, string workerId, string workerType, string? poolId, CancellationToken ct)
    {
        if (!options.Value.CreateSessions)
        {
            var root = options.Value.LocalWorkspaceRoot ?? Path.Combine(Path.GetTempPath(), "sessionbuddy-workers");
            var dir = Path.Combine(root, taskId.ToString());
            return new TaskWorkspace(null, dir, Path.Combine(dir, "output"));
        }
        var metadata = Metadata(taskId, workerId, workerType, poolId);
        if (!Preparing)
        {
            // The task id is the operation id: a redelivered request reuses the task's session.
            var session = await CreateSessionsAsync([new CreateSession(taskId, SessionName(workerType, taskId), "workerpool", null, metadata)], ct);
            return session[0] with { StatusUpdate = UpdateAsync(new UpdateSession(session[0].SessionId!.Value, null, SessionStatuses.Running, null)) };
        }
        _reserved.TryRemove(taskId, out _);
        if (!_prepared.Reader.TryRead(out var prepared))
        {
            Signal();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                prepared = await _prepared.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException("the Sessions service prepared no session within 15 s");
            }
        }
        Signal();
        return prepared with
        {
            StatusUpdate = UpdateAsync(new UpdateSession(prepared.SessionId!.Value, SessionName(workerType, taskId), SessionStatuses.Running, metadata)),
        };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.CreateSessions)
        {
            _updater = Task.Run(SendUpdatesAsync, CancellationToken.None);
        }
        if (Preparing)
        {
            _refiller = Task.Run(RefillAsync, CancellationToken.None);
            Signal();
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _refiller;
        _updates.Writer.TryComplete();
        await _updater;
        // Prepared sessions no task used leave the session index.
        while (_prepared.Reader.TryRead(out var unused))
        {
            try
            {
                var client = clients.CreateRequestClient<DeleteSession>(RequestTimeout.After(s: 2));
                await client.GetResponse<SessionDeletion, RequestRejected>(new DeleteSession(unused.SessionId!.Value), cancellationToken);
            }
            catch (Exception ex) when (ex is RequestTimeoutException or RequestFaultException or OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task RefillAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _refill.WaitAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            while (!_stopping.IsCancellationRequested && Volatile.Read(ref _requestsUnderWay) < MaxRequestsUnderWay)
            {
                var baseline = options.Value.PreparedSessions;
                var stock = _prepared.Reader.Count + Volatile.Read(ref _sessionsUnderWay);
                var missing = Math.Min(MaxPreparedAhead, baseline + _reserved.Count) - stock;
                // Small top-ups wait until they are worth a request, unless the stock runs low.
                if (missing <= 0 || (missing < BatchSize / 2 && stock >= baseline))
                {
                    break;
                }
                var count = Math.Min(BatchSize, missing);
                Interlocked.Add(ref _sessionsUnderWay, count);
                Interlocked.Increment(ref _requestsUnderWay);
                var request = PrepareAsync(count);
                _preparing.TryAdd(request, 0);
                _ = request.ContinueWith(done => _preparing.TryRemove(done, out _), TaskScheduler.Default);
            }
        }
        await Task.WhenAll(_preparing.Keys);
    }

    /// <summary>One CreateSessions request for <paramref name="count"/> prepared sessions; several may be under way at once.</summary>
    private async Task PrepareAsync(int count)
    {
        try
        {
            var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object?> { ["prepared"] = true });
            var batch = Enumerable.Range(0, count)
                .Select(_ => new CreateSession(Guid.NewGuid(), "worker task (prepared)", "workerpool", null, metadata))
                .ToList();
            foreach (var workspace in await CreateSessionsAsync(batch, _stopping.Token))
            {
                _prepared.Writer.TryWrite(workspace);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is RequestTimeoutException or RequestFaultException or InvalidOperationException)
        {
            LogPrepareFailed(ex);
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
        finally
        {
            Interlocked.Add(ref _sessionsUnderWay, -count);
            Interlocked.Decrement(ref _requestsUnderWay);
            Signal();
        }
    }

    private void Signal()
    {
        try
        {
            _refill.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    private async Task<IReadOnlyList<TaskWorkspace>> CreateSessionsAsync(IReadOnlyList<CreateSession> sessions, CancellationToken ct)
    {
        var client = clients.CreateRequestClient<CreateSessions>(SessionTimeout);
        var response = await client.GetResponse<SessionBatch, RequestRejected>(new CreateSessions(sessions), ct);
        if (response.Is(out Response<RequestRejected>? rejected))
        {
            throw new InvalidOperationException("the Sessions service refused the tasks' sessions: " + rejected.Message.Message);
        }
        response.Is(out Response<SessionBatch>? created);
        return [.. created!.Message.Sessions.Select(s => new TaskWorkspace(s.Id, s.WorkspaceDir, s.OutputDir))];
    }

    private static string SessionName(string workerType, Guid taskId) => $"{workerType} task {taskId}";

    private static JsonElement Metadata(Guid taskId, string workerId, string workerType, string? poolId) =>
        JsonSerializer.SerializeToElement(new Dictionary<string, string?>
        {
            ["task_id"] = taskId.ToString(),
            ["worker_id"] = workerId,
            ["worker_type"] = workerType,
            ["pool_id"] = poolId,
        });

    /// <summary>Queues the update; it is sent with the others queued meanwhile, in order, as one UpdateSessions request.</summary>
    private Task UpdateAsync(UpdateSession update)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_updates.Writer.TryWrite((update, sent)))
        {
            sent.SetResult(); // stopping
        }
        return sent.Task;
    }

    /// <summary>Best effort: the task's result is already stored; a missed status update only leaves the session index stale.</summary>
    public Task SetStatusAsync(Guid? sessionId, string status) =>
        sessionId is null ? Task.CompletedTask : UpdateAsync(new UpdateSession(sessionId.Value, null, status, null));

    /// <summary>
    /// Sends the queued session updates, whatever accumulated while the previous request was under way
    /// (up to BatchSize), one request at a time: a task's "running" update always precedes its outcome.
    /// </summary>
    private async Task SendUpdatesAsync()
    {
        var batch = new List<(UpdateSession Update, TaskCompletionSource Sent)>();
        var client = clients.CreateRequestClient<UpdateSessions>(SessionTimeout);
        while (await _updates.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < BatchSize && _updates.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            try
            {
                await client.GetResponse<SessionBatch, RequestRejected>(new UpdateSessions([.. batch.Select(b => b.Update)]));
            }
            catch (Exception ex) when (ex is RequestTimeoutException or RequestFaultException or OperationCanceledException)
            {
                LogStatusFailed(batch.Count, ex);
            }
            foreach (var (_, sent) in batch)
            {
                sent.TrySetResult();
            }
            batch.Clear();
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not prepare a session for worker tasks")]
    private partial void LogPrepareFailed(Exception ex);

    [LoggerMessage(LogLevel.Warning, "Could not update the sessions of {Count} worker tasks")]
    private partial void LogStatusFailed(int count, Exception ex);
}
