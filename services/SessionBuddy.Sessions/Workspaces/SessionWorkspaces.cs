using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// Each session's private directory tree under the configured root:
/// <c>{root}/{session id}/</c> with <c>work/</c> (the working area), <c>output/</c> (handoffs, artefacts),
/// <c>private/</c> (storage of whatever runs inside the session, never shared), <c>session.log</c> and
/// <c>session.json</c> (metadata, rewritten atomically on every change). The index of all sessions is
/// the sessions table; these files mirror it for people and tools looking at the disk.
/// </summary>
public sealed class SessionWorkspaces(IOptions<SessionsOptions> options)
{
    public const string WorkDirName = "work";
    public const string OutputDirName = "output";
    public const string PrivateDirName = "private";
    public const string LogFileName = "session.log";
    public const string MetadataFileName = "session.json";

    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Root => Path.GetFullPath(options.Value.WorkspaceRoot);

    public string WorkspaceDir(Guid sessionId) => Path.Combine(Root, sessionId.ToString());

    public static string OutputDir(string workspaceDir) => Path.Combine(workspaceDir, OutputDirName);

    public static string LogPath(string workspaceDir) => Path.Combine(workspaceDir, LogFileName);

    public string Create(Guid sessionId)
    {
        var workspace = WorkspaceDir(sessionId);
        Directory.CreateDirectory(Root);
        // Owner only: worker tasks run as another user, and get a session's directory only while they run in it.
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(workspace, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.CreateDirectory(Path.Combine(workspace, WorkDirName));
        Directory.CreateDirectory(OutputDir(workspace));
        Directory.CreateDirectory(Path.Combine(workspace, PrivateDirName));
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

    /// <summary>Appends one timestamped line; a session whose workspace is gone (deleted) logs nothing.</summary>
    public void Log(string workspaceDir, string line)
    {
        if (!Directory.Exists(workspaceDir))
        {
            return;
        }
        var bytes = Encoding.UTF8.GetBytes($"{DateTimeOffset.UtcNow:O} {line.ReplaceLineEndings(" ")}\n");
        // One append-mode write per line: concurrent writers interleave whole lines.
        using var stream = new FileStream(LogPath(workspaceDir), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.Write(bytes);
    }

    public IReadOnlyList<string> ReadLog(string workspaceDir, int tail)
    {
        var path = LogPath(workspaceDir);
        if (!File.Exists(path))
        {
            return [];
        }
        var lines = new Queue<string>(tail);
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        while (reader.ReadLine() is { } line)
        {
            if (lines.Count == tail)
            {
                lines.Dequeue();
            }
            lines.Enqueue(line);
        }
        return [.. lines];
    }

    /// <summary>Rewrites session.json by write-then-rename, so a reader never sees half a file.</summary>
    public void WriteMetadata(SessionDetails session, string backend)
    {
        if (!Directory.Exists(session.WorkspaceDir))
        {
            return;
        }
        var target = Path.Combine(session.WorkspaceDir, MetadataFileName);
        var temp = $"{target}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new
        {
            session.Id,
            session.Name,
            session.Project,
            session.Status,
            session.WorkingDirectory,
            Backend = backend,
            session.CreatedAt,
            session.UpdatedAt,
        }, MetadataJson));
        File.Move(temp, target, overwrite: true);
    }
}
