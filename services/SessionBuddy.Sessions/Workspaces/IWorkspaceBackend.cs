namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// Where one session's files live. Paths given here are already normalised by <see cref="WorkspacePath"/>;
/// each backend still resolves them on its own file system, refusing symlinks that lead out of the
/// workspace and anything but regular files and directories. Refusals are <c>RequestRejectedException</c>s.
/// Kinds: local (a directory), container (docker/podman CLI); a Kubernetes pod backend would implement this
/// with <c>kubectl exec</c>/<c>kubectl cp</c> the way the container backend uses the docker CLI.
/// </summary>
public interface IWorkspaceBackend
{
    string Name { get; }

    string Kind { get; }

    Task<BackendHealth> CheckHealthAsync(CancellationToken ct);

    /// <summary>The file's bytes (at most Sessions:MaxFileBytes).</summary>
    Task<byte[]> ReadAsync(string path, CancellationToken ct);

    Task<long> WriteAsync(string path, string content, CancellationToken ct);

    Task<IReadOnlyList<SessionFileEntry>> ListAsync(string path, CancellationToken ct);
}
