using Microsoft.Extensions.Options;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>Each session's private directory tree: <c>{root}/{session id}/</c> with <c>output/</c> inside.</summary>
public sealed class SessionWorkspaces(IOptions<SessionsOptions> options)
{
    private string Root => Path.GetFullPath(options.Value.WorkspaceRoot);

    public string WorkspaceDir(Guid sessionId) => Path.Combine(Root, sessionId.ToString());

    public static string OutputDir(string workspaceDir) => Path.Combine(workspaceDir, "output");

    public string Create(Guid sessionId)
    {
        var workspace = WorkspaceDir(sessionId);
        Directory.CreateDirectory(OutputDir(workspace));
        return workspace;
    }

    public void Delete(Guid sessionId)
    {
        var workspace = WorkspaceDir(sessionId);
        if (Directory.Exists(workspace))
        {
            Directory.Delete(workspace, recursive: true);
        }
    }
}
