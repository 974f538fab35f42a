namespace SessionBuddy.Contracts.Sessions;

// Isolated workspaces, the session-aware file tools and the workspace backend registry.

public sealed record GetSessionOutputDir(Guid SessionId);

public sealed record GetSessionLog(Guid SessionId, int? Tail);

public sealed record CleanupSessions(double OlderThanHours);

public sealed record ReadSessionFile(Guid SessionId, string Path);

/// <summary>A workspace file's bytes, for readers of binary content (MCP resources).</summary>
public sealed record ReadSessionFileBytes(Guid SessionId, string Path);

public sealed record WriteSessionFile(Guid SessionId, string Path, string Content);

public sealed record EditSessionFile(Guid SessionId, string Path, string Old, string New);

public sealed record ListSessionFiles(Guid SessionId, string? Path);

public sealed record RegisterWorkspaceBackend(string Name, string Kind, string? Container, string? Root, Guid? SessionId);

public sealed record ListWorkspaceBackends;

public static class WorkspaceBackendKinds
{
    public const string Local = "local";
    public const string Container = "container";
    public const string Kubernetes = "kubernetes";

    public static readonly IReadOnlyList<string> All = [Local, Container, Kubernetes];
}
