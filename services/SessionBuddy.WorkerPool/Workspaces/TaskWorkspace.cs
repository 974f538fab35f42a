namespace SessionBuddy.WorkerPool.Workspaces;

/// <summary>Where and as whom a task runs: its session workspace and the variables it may see.</summary>
public sealed record TaskWorkspace(Guid? SessionId, string WorkspaceDir, string OutputDir)
{
    /// <summary>The pending "running" status update of the task's session, if one was sent.</summary>
    public Task? StatusUpdate { get; init; }
}
