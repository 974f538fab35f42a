using System.Text;
using SessionBuddy.Contracts;
using SessionBuddy.Messaging;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// A session's files inside a container, at <c>{root}/{session id}</c>, reached only through the
/// docker-compatible CLI: <c>inspect</c> for health, <c>exec … realpath/stat/cat/mkdir/find</c> and
/// <c>cp</c> to write. Paths are resolved with <c>realpath -m</c> inside the container and must stay
/// under the session's directory there, so symlinks cannot lead out either.
/// </summary>
public sealed class ContainerWorkspaceBackend(string name, string container, string sessionRoot, ContainerCli cli, long maxFileBytes)
    : IWorkspaceBackend
{
    private const int MaxListEntries = 2000;

    public string Name => name;

    public string Kind => WorkspaceBackendKinds.Container;

    public async Task<BackendHealth> CheckHealthAsync(CancellationToken ct)
    {
        var result = await cli.RunAsync(["inspect", "--format", "{{.State.Running}}", container], ct);
        var running = result.ExitCode == 0 && result.Output.Trim() == "true";
        var detail = running
            ? $"container {container} is running"
            : result.ExitCode == 0 ? $"container {container} is not running" : $"container {container}: {FirstLine(result.Error)}";
        return new BackendHealth(name, Kind, running, detail);
    }

    public async Task<byte[]> ReadAsync(string path, CancellationToken ct)
    {
        var real = await ResolveAsync(path, ct);
        var (type, size) = await StatAsync(real, ct);
        RequireRegularFile(path, type, mustExist: true);
        if (size > maxFileBytes)
        {
            throw WorkspacePath.Refused($"'{path}' is {size} bytes; file tools read at most {maxFileBytes} (Sessions:MaxFileBytes)");
        }
        // base64 carries binary files through the CLI's text output unchanged.
        var result = await RunAsync(["exec", container, "base64", "--", real], ct);
        return Convert.FromBase64String(string.Concat(result.Output.Where(c => !char.IsWhiteSpace(c))));
    }

    public async Task<long> WriteAsync(string path, string content, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        if (bytes.LongLength > maxFileBytes)
        {
            throw RequestRejectedException.InvalidArgument(
                "content", $"is {bytes.LongLength} bytes; file tools write at most {maxFileBytes} (Sessions:MaxFileBytes)");
        }
        var real = await ResolveAsync(path, ct);
        var (type, _) = await StatAsync(real, ct);
        RequireRegularFile(path, type, mustExist: false);
        var directory = real[..real.LastIndexOf('/')];
        await RunAsync(["exec", container, "mkdir", "-p", "--", directory], ct);
        var local = Path.Combine(Path.GetTempPath(), $"sessionbuddy-cp-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(local, bytes, ct);
            await RunAsync(["cp", local, $"{container}:{real}"], ct);
        }
        finally
        {
            File.Delete(local);
        }
        return bytes.LongLength;
    }

    public async Task<IReadOnlyList<SessionFileEntry>> ListAsync(string path, CancellationToken ct)
    {
        var real = await ResolveAsync(path, ct);
        var (type, _) = await StatAsync(real, ct);
        if (type is null)
        {
            throw RequestRejectedException.NotFound("path", $"'{path}' does not exist in the session workspace");
        }
        if (type != "directory")
        {
            throw WorkspacePath.Refused($"'{path}' is a {type}, not a directory");
        }
        // -P: never follow symlinks; %y type letter, %s size, %P path below the start.
        var result = await RunAsync(["exec", container, "find", "-P", real, "-mindepth", "1", "-printf", "%y\\t%s\\t%P\\n"], ct);
        var prefix = path.Length == 0 ? string.Empty : path + "/";
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 3))
            .Where(f => f.Length == 3)
            .Select(f => new SessionFileEntry(prefix + f[2], f[0] switch { "f" => "file", "d" => "directory", "l" => "symlink", _ => "other" },
                f[0] == "f" && long.TryParse(f[1], out var size) ? size : 0))
            .OrderBy(e => e.Path, StringComparer.Ordinal)
            .Take(MaxListEntries)
            .ToList();
    }

    private async Task<string> ResolveAsync(string path, CancellationToken ct)
    {
        await RunAsync(["exec", container, "mkdir", "-p", "--", sessionRoot], ct);
        var root = (await RunAsync(["exec", container, "realpath", "-m", "--", sessionRoot], ct)).Output.Trim();
        if (path.Length == 0)
        {
            return root;
        }
        var real = (await RunAsync(["exec", container, "realpath", "-m", "--", $"{sessionRoot}/{path}"], ct)).Output.Trim();
        if (real != root && !real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw WorkspacePath.Refused($"'{path}' resolves (through a symlink) outside the session workspace");
        }
        return real;
    }

    /// <returns>stat's file type ("regular file", "directory", ...) and size, or (null, 0) when absent.</returns>
    private async Task<(string? Type, long Size)> StatAsync(string real, CancellationToken ct)
    {
        var result = await cli.RunAsync(["exec", container, "stat", "-c", "%F|%s", "--", real], ct);
        if (result.ExitCode != 0)
        {
            return (null, 0);
        }
        var parts = result.Output.Trim().Split('|');
        return (parts[0], parts.Length > 1 && long.TryParse(parts[1], out var size) ? size : 0);
    }

    private static void RequireRegularFile(string path, string? type, bool mustExist)
    {
        switch (type)
        {
            case "regular file" or "regular empty file":
                return;
            case null when mustExist:
                throw RequestRejectedException.NotFound("path", $"'{path}' does not exist in the session workspace");
            case null:
                return;
            case "directory":
                throw WorkspacePath.Refused($"'{path}' is a directory; file tools read and write regular files (use session_list_files)");
            default:
                throw WorkspacePath.Refused($"'{path}' is a {type}; file tools only handle regular files");
        }
    }

    private async Task<CliResult> RunAsync(string[] arguments, CancellationToken ct)
    {
        var result = await cli.RunAsync(arguments, ct);
        if (result.ExitCode != 0)
        {
            // The container went away or the CLI failed mid-call: the caller may retry once it is back.
            throw new RequestRejectedException(new RequestRejected(RejectionCodes.Unavailable,
                $"session_id: workspace backend '{name}' (container {container}) failed: {FirstLine(result.Error)}. Retry once the backend is healthy.",
                "session_id"));
        }
        return result;
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "no output";
}
