using System.Text;
using SessionBuddy.Messaging;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// A session's files in its workspace directory on this machine. Every path is resolved component by
/// component: an existing component that is a symlink must resolve (realpath) inside the workspace,
/// so neither the file nor any directory on the way can lead out.
/// </summary>
public sealed class LocalWorkspaceBackend(string name, string workspaceDir, long maxFileBytes) : IWorkspaceBackend
{
    private const int MaxListEntries = 2000;

    public string Name => name;

    public string Kind => WorkspaceBackendKinds.Local;

    public Task<BackendHealth> CheckHealthAsync(CancellationToken ct)
    {
        var healthy = Directory.Exists(workspaceDir);
        return Task.FromResult(new BackendHealth(name, Kind, healthy,
            healthy ? $"workspace directory {workspaceDir}" : $"workspace directory {workspaceDir} is missing"));
    }

    public async Task<byte[]> ReadAsync(string path, CancellationToken ct)
    {
        var real = Resolve(path);
        RequireRegularFile(path, real, mustExist: true);
        var length = new FileInfo(real).Length;
        if (length > maxFileBytes)
        {
            throw WorkspacePath.Refused($"'{path}' is {length} bytes; file tools read at most {maxFileBytes} (Sessions:MaxFileBytes)");
        }
        return await File.ReadAllBytesAsync(real, ct);
    }

    public async Task<long> WriteAsync(string path, string content, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        if (bytes.LongLength > maxFileBytes)
        {
            throw RequestRejectedException.InvalidArgument(
                "content", $"is {bytes.LongLength} bytes; file tools write at most {maxFileBytes} (Sessions:MaxFileBytes)");
        }
        var real = Resolve(path);
        RequireRegularFile(path, real, mustExist: false);
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        // Write then rename: readers see the old or the new file, and a symlink planted meanwhile is replaced, not followed.
        var temp = Path.Combine(Path.GetDirectoryName(real)!, $".{Path.GetFileName(real)}.{Guid.NewGuid():N}.tmp");
        await File.WriteAllBytesAsync(temp, bytes, ct);
        File.Move(temp, real, overwrite: true);
        return bytes.LongLength;
    }

    public Task<IReadOnlyList<SessionFileEntry>> ListAsync(string path, CancellationToken ct)
    {
        var real = Resolve(path);
        var type = NativeFiles.LStat(real);
        if (type == NativeFiles.EntryType.Missing)
        {
            throw RequestRejectedException.NotFound("path", $"'{path}' does not exist in the session workspace");
        }
        if (type != NativeFiles.EntryType.Directory)
        {
            throw WorkspacePath.Refused($"'{path}' is {NativeFiles.Describe(real)}, not a directory");
        }
        var entries = new List<SessionFileEntry>();
        var pending = new Stack<(string Real, string Relative)>();
        pending.Push((real, path));
        while (pending.Count > 0 && entries.Count < MaxListEntries)
        {
            var (dir, relative) = pending.Pop();
            foreach (var child in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
            {
                var childRelative = relative.Length == 0 ? Path.GetFileName(child) : $"{relative}/{Path.GetFileName(child)}";
                var childType = NativeFiles.LStat(child);
                entries.Add(new SessionFileEntry(childRelative, childType switch
                {
                    NativeFiles.EntryType.File => "file",
                    NativeFiles.EntryType.Directory => "directory",
                    NativeFiles.EntryType.Symlink => "symlink",
                    _ => "other",
                }, childType == NativeFiles.EntryType.File ? new FileInfo(child).Length : 0));
                // Symlinked directories are listed, never descended into.
                if (childType == NativeFiles.EntryType.Directory)
                {
                    pending.Push((child, childRelative));
                }
            }
        }
        return Task.FromResult<IReadOnlyList<SessionFileEntry>>(entries.OrderBy(e => e.Path, StringComparer.Ordinal).Take(MaxListEntries).ToList());
    }

    /// <summary>The real path for <paramref name="path"/>; its missing tail (if any) is appended as given.</summary>
    internal string Resolve(string path)
    {
        var root = NativeFiles.RealPath(workspaceDir)
            ?? throw new RequestRejectedException(new Contracts.RequestRejected(
                Contracts.RejectionCodes.Unavailable, $"session_id: the workspace directory {workspaceDir} is missing", "session_id"));
        var current = root;
        var segments = path.Length == 0 ? [] : path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var next = Path.Combine(current, segments[i]);
            switch (NativeFiles.LStat(next))
            {
                case NativeFiles.EntryType.Missing:
                    return Path.Combine([current, .. segments[i..]]);
                case NativeFiles.EntryType.Symlink:
                    var target = NativeFiles.RealPath(next)
                        ?? throw WorkspacePath.Refused($"'{path}' goes through a dangling symlink ({string.Join('/', segments[..(i + 1)])})");
                    if (!IsWithin(root, target))
                    {
                        throw WorkspacePath.Refused($"'{path}' goes through a symlink ({string.Join('/', segments[..(i + 1)])}) that points outside the session workspace");
                    }
                    current = target;
                    break;
                case NativeFiles.EntryType.File or NativeFiles.EntryType.Other when i < segments.Length - 1:
                    throw WorkspacePath.Refused($"'{path}': {string.Join('/', segments[..(i + 1)])} is not a directory");
                default:
                    current = next;
                    break;
            }
        }
        return current;
    }

    private static bool IsWithin(string root, string candidate) =>
        candidate == root || candidate.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    private static void RequireRegularFile(string path, string real, bool mustExist)
    {
        switch (NativeFiles.LStat(real))
        {
            case NativeFiles.EntryType.File:
                return;
            case NativeFiles.EntryType.Missing when mustExist:
                throw RequestRejectedException.NotFound("path", $"'{path}' does not exist in the session workspace");
            case NativeFiles.EntryType.Missing:
                return;
            case NativeFiles.EntryType.Directory:
                throw WorkspacePath.Refused($"'{path}' is a directory; file tools read and write regular files (use session_list_files)");
            default:
                throw WorkspacePath.Refused($"'{path}' is {NativeFiles.Describe(real)}; file tools only handle regular files");
        }
    }
}
