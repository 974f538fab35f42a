using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>session_output_dir and session_log: what a session produced and what happened to it.</summary>
public static class SessionOutput
{
    public static async Task<SessionOutputDir> DescribeAsync(SessionStore store, Guid sessionId, CancellationToken ct)
    {
        var session = await store.GetAsync(sessionId, ct);
        var files = Directory.Exists(session.OutputDir)
            ? Directory.EnumerateFiles(session.OutputDir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(session.OutputDir, f)).Order(StringComparer.Ordinal).Take(1000).ToList()
            : [];
        return new SessionOutputDir(sessionId, session.OutputDir, files);
    }

    public static async Task<SessionLog> LogAsync(SessionStore store, SessionWorkspaces workspaces, Guid sessionId, int tail, CancellationToken ct)
    {
        var session = await store.GetAsync(sessionId, ct);
        return new SessionLog(sessionId, SessionWorkspaces.LogPath(session.WorkspaceDir), workspaces.ReadLog(session.WorkspaceDir, tail));
    }
}
