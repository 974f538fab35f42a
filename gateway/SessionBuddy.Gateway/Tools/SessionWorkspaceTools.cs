using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Tools;

/// <summary>Isolated workspaces: output location, log, cleanup of old finished sessions.</summary>
[McpServerToolType]
public sealed class SessionWorkspaceTools(ServiceRequests requests)
{
    [McpServerTool(Name = "session_output_dir", UseStructuredContent = true, ReadOnly = true)]
    [Description("The session's output directory (handoffs and artefacts) and the files in it.")]
    public Task<SessionOutputDir> SessionOutputDir(
        [Description("Session id (UUID).")] string sessionId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetSessionOutputDir, SessionOutputDir>(new GetSessionOutputDir(ToolArguments.Id(sessionId, "session_id")), cancellationToken);

    [McpServerTool(Name = "session_log", UseStructuredContent = true, ReadOnly = true)]
    [Description("The last lines of the session's log (lifecycle changes, file writes).")]
    public Task<SessionLog> SessionLog(
        [Description("Session id (UUID).")] string sessionId,
        [Description("How many of the last lines, 1..10000 (default 100).")] int? tail = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetSessionLog, SessionLog>(new GetSessionLog(ToolArguments.Id(sessionId, "session_id"), tail), cancellationToken);

    [McpServerTool(Name = "cleanup_sessions", UseStructuredContent = true, Destructive = true)]
    [Description("Delete completed and failed sessions not changed for older_than_hours (with their workspaces); running sessions are never removed.")]
    public Task<SessionCleanup> CleanupSessions(
        [Description("Minimum age in hours (default 24).")] double olderThanHours = 24,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CleanupSessions, SessionCleanup>(new CleanupSessions(olderThanHours), cancellationToken);
}
