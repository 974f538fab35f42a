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
{
    private static readonly RequestTimeout SessionTimeout = RequestTimeout.After(s: 15);

    public async Task<TaskWorkspace> CreateAsync(Guid taskId, string workerId, string workerType, string? poolId, CancellationToken ct)
    {
        if (!options.Value.CreateSessions)
        {
            var root = options.Value.LocalWorkspaceRoot ?? Path.Combine(Path.GetTempPath(), "sessionbuddy-workers");
            var dir = Path.Combine(root, taskId.ToString());
            return new TaskWorkspace(null, dir, Path.Combine(dir, "output"));
        }
        var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, string?>
        {
            ["task_id"] = taskId.ToString(),
            ["worker_id"] = workerId,
            ["worker_type"] = workerType,
            ["pool_id"] = poolId,
        });
        // The task id is the operation id: a retried task (or a redelivered request) reuses its session.
        var client = clients.CreateRequestClient<CreateSession>(SessionTimeout);
        var response = await client.GetResponse<SessionDetails, RequestRejected>(
            new CreateSession(taskId, $"{workerType} task {taskId}", "workerpool", null, metadata), ct);
        if (response.Is(out Response<RequestRejected>? rejected))
        {
            throw new InvalidOperationException("the Sessions service refused the task's session: " + rejected.Message.Message);
        }
        response.Is(out Response<SessionDetails>? session);
        return new TaskWorkspace(session!.Message.Id, session.Message.WorkspaceDir, session.Message.OutputDir);
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

    [LoggerMessage(LogLevel.Warning, "Could not set session {SessionId} to {Status}")]
    private partial void LogStatusFailed(Guid sessionId, string status, Exception ex);
}
