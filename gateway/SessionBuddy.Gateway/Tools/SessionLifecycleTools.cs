using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Tools;

/// <summary>Session lifecycle: start, checkpoints with quality scores, end with a handoff, status, resume, export.</summary>
[McpServerToolType]
public sealed class SessionLifecycleTools(ServiceRequests requests)
{
    [McpServerTool(Name = "start", UseStructuredContent = true)]
    [Description("Start a development session in a working directory: creates the session with its isolated workspace and sets it running.")]
    public Task<SessionDetails> Start(
        [Description("Absolute path of an existing directory the session works in (scored at each checkpoint).")] string workingDirectory,
        [Description("Project the session belongs to.")] string? project = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<StartSession, SessionDetails>(new StartSession(Guid.NewGuid(), workingDirectory, project), cancellationToken);

    [McpServerTool(Name = "checkpoint", UseStructuredContent = true)]
    [Description("Record a checkpoint of a running session with a deterministic quality score (0..100) and its breakdown: version control, tests, docs, activity.")]
    public Task<CheckpointDetails> Checkpoint(
        [Description("Session id (UUID).")] string sessionId,
        [Description("What was done since the last checkpoint.")] string? summary = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CreateCheckpoint, CheckpointDetails>(
            new CreateCheckpoint(Guid.NewGuid(), ToolArguments.Id(sessionId, "session_id"), summary), cancellationToken);

    [McpServerTool(Name = "end", UseStructuredContent = true)]
    [Description("End a running session: a final checkpoint, status completed, and a handoff document (what was done, open items, last checkpoint, quality trend) in the output directory; returns its path.")]
    public Task<SessionHandoff> End(
        [Description("Session id (UUID).")] string sessionId,
        [Description("What the session achieved; lines starting with TODO or '- [ ]' become open items.")] string? summary = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<EndSession, SessionHandoff>(
            new EndSession(Guid.NewGuid(), ToolArguments.Id(sessionId, "session_id"), summary), cancellationToken);

    [McpServerTool(Name = "status", UseStructuredContent = true, ReadOnly = true)]
    [Description("A session's status, last checkpoint, quality trend and the health of its workspace backend.")]
    public Task<SessionStatusReport> Status(
        [Description("Session id (UUID).")] string sessionId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetSessionStatus, SessionStatusReport>(new GetSessionStatus(ToolArguments.Id(sessionId, "session_id")), cancellationToken);

    [McpServerTool(Name = "list_checkpoints", UseStructuredContent = true, ReadOnly = true)]
    [Description("A session's checkpoints, oldest first.")]
    public Task<CheckpointList> ListCheckpoints(
        [Description("Session id (UUID).")] string sessionId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListCheckpoints, CheckpointList>(new ListCheckpoints(ToolArguments.Id(sessionId, "session_id")), cancellationToken);

    [McpServerTool(Name = "resume_session", UseStructuredContent = true)]
    [Description("Reopen a session (status running) and return the checkpoint to continue from (the given one, else the last) and the handoff path if any.")]
    public Task<SessionResumption> ResumeSession(
        [Description("Session id (UUID).")] string sessionId,
        [Description("Checkpoint id (UUID) to continue from; default the last.")] string? checkpointId = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ResumeSession, SessionResumption>(
            new ResumeSession(ToolArguments.Id(sessionId, "session_id"), checkpointId is null ? null : ToolArguments.Id(checkpointId, "checkpoint_id")),
            cancellationToken);

    [McpServerTool(Name = "export_session", UseStructuredContent = true, ReadOnly = true)]
    [Description("Export a whole session (details, messages, checkpoints) as json or markdown.")]
    public Task<SessionExport> ExportSession(
        [Description("Session id (UUID).")] string sessionId,
        [Description("json or markdown.")] string format = ExportFormats.Json,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ExportSession, SessionExport>(new ExportSession(ToolArguments.Id(sessionId, "session_id"), format), cancellationToken);
}
