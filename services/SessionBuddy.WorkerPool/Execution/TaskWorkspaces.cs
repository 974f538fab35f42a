using System.Collections.Concurrent;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.WorkerPool.Execution;

/// <summary>
/// Gives every task its own session (and so its own workspace and output dir, listed in the session
/// index) through the Sessions service, and reports the task's outcome as the session's status.
/// </summary>
public sealed partial class TaskWorkspaces(IClientFactory clients, IOptions<WorkerPoolOptions> options, ILogger<TaskWorkspaces> logger)
    : IHostedService
{
    private static readonly RequestTimeout SessionTimeout = RequestTimeout.After(s: 15);

    // Sessions created ahead of demand (WorkerPool:PreparedSessions), so a task does not wait for a
    // Sessions round trip before its process starts; each is used by exactly one task, which then
    // names it and sets its metadata.
    private readonly ConcurrentQueue<TaskWorkspace> _prepared = new();
    private readonly SemaphoreSlim _refill = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _refiller = Task.CompletedTask;

    public async Task<TaskWorkspace> CreateAsync(Guid taskId, string workerId, string workerType, string? poolId, CancellationToken ct)
    {
        if (!options.Value.CreateSessions)
        {
            var root = options.Value.LocalWorkspaceRoot ?? Path.Combine(Path.GetTempPath(), "sessionbuddy-workers");
            var dir = Path.Combine(root, taskId.ToString());
            return new TaskWorkspace(null, dir, Path.Combine(dir, "output"));
        }
        var metadata = Metadata(taskId, workerId, workerType, poolId);
        if (_prepared.TryDequeue(out var prepared))
        {
            Signal();
            return prepared with
            {
                StatusUpdate = UpdateAsync(new UpdateSession(prepared.SessionId!.Value, SessionName(workerType, taskId), SessionStatuses.Running, metadata)),
            };
        }
        Signal();
        // The task id is the operation id: a redelivered request reuses the task's session.
        var session = await CreateSessionAsync(taskId, SessionName(workerType, taskId), metadata, ct);
        return session with { StatusUpdate = UpdateAsync(new UpdateSession(session.SessionId!.Value, null, SessionStatuses.Running, null)) };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.CreateSessions && options.Value.PreparedSessions > 0)
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
        // Prepared sessions no task used leave the session index.
        while (_prepared.TryDequeue(out var unused))
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
                while (_prepared.Count < options.Value.PreparedSessions && !_stopping.IsCancellationRequested)
                {
                    var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object?> { ["prepared"] = true });
                    _prepared.Enqueue(await CreateSessionAsync(Guid.NewGuid(), "worker task (prepared)", metadata, _stopping.Token));
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RequestTimeoutException or RequestFaultException or InvalidOperationException)
            {
                LogPrepareFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
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

    private async Task<TaskWorkspace> CreateSessionAsync(Guid operationId, string name, JsonElement metadata, CancellationToken ct)
    {
        var client = clients.CreateRequestClient<CreateSession>(SessionTimeout);
        var response = await client.GetResponse<SessionDetails, RequestRejected>(new CreateSession(operationId, name, "workerpool", null, metadata), ct);
        if (response.Is(out Response<RequestRejected>? rejected))
        {
            throw new InvalidOperationException("the Sessions service refused the task's session: " + rejected.Message.Message);
        }
        response.Is(out Response<SessionDetails>? session);
        return new TaskWorkspace(session!.Message.Id, session.Message.WorkspaceDir, session.Message.OutputDir);
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

    private async Task UpdateAsync(UpdateSession update)
    {
        try
        {
            var client = clients.CreateRequestClient<UpdateSession>(SessionTimeout);
            await client.GetResponse<SessionDetails, RequestRejected>(update);
        }
        catch (Exception ex) when (ex is RequestTimeoutException or RequestFaultException or OperationCanceledException)
        {
            LogStatusFailed(update.SessionId, update.Status ?? "", ex);
        }
    }

    /// <summary>Best effort: the task's result is already stored; a missed status update only leaves the session index stale.</summary>
    public async Task SetStatusAsync(Guid? sessionId, string status)
    {
        if (sessionId is null)
        {
            return;
        }
        try
        {
            var client = clients.CreateRequestClient<UpdateSession>(SessionTimeout);
            await client.GetResponse<SessionDetails, RequestRejected>(new UpdateSession(sessionId.Value, null, status, null));
        }
        catch (Exception ex) when (ex is RequestTimeoutException or RequestFaultException or OperationCanceledException)
        {
            LogStatusFailed(sessionId.Value, status, ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not prepare a session for worker tasks")]
    private partial void LogPrepareFailed(Exception ex);

    [LoggerMessage(LogLevel.Warning, "Could not set session {SessionId} to {Status}")]
    private partial void LogStatusFailed(Guid sessionId, string status, Exception ex);
}
