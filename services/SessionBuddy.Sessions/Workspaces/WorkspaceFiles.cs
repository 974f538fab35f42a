using Npgsql;
using SessionBuddy.Messaging;
using SessionBuddy.Sessions.Sessions;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// The session-aware file tools: find the session and its backend, refuse with a retryable error when
/// the backend is unhealthy, normalise the path, and let the backend do the rest. Changes are logged
/// to the session's log file.
/// </summary>
public sealed class WorkspaceFiles(NpgsqlDataSource dataSource, SessionStore sessions, WorkspaceBackendRegistry registry, SessionWorkspaces workspaces)
{
    public async Task<SessionFileContent> ReadAsync(Guid sessionId, string? path, CancellationToken ct)
    {
        var relative = WorkspacePath.Normalize(path);
        var (backend, _) = await OpenAsync(sessionId, ct);
        var bytes = await backend.ReadAsync(relative, ct);
        return new SessionFileContent(sessionId, relative, System.Text.Encoding.UTF8.GetString(bytes), bytes.Length);
    }

    /// <summary>The file as it is on disk, for binary content (MCP resources).</summary>
    public async Task<SessionFileBytes> ReadBytesAsync(Guid sessionId, string? path, CancellationToken ct)
    {
        var relative = WorkspacePath.Normalize(path);
        var (backend, _) = await OpenAsync(sessionId, ct);
        return new SessionFileBytes(sessionId, relative, await backend.ReadAsync(relative, ct));
    }

    public async Task<WriteSessionFileReply> WriteAsync(Guid sessionId, string? path, string? content, CancellationToken ct)
    {
        var relative = WorkspacePath.Normalize(path);
        WorkspacePath.EnsureWritable(relative);
        if (content is null)
        {
            throw RequestRejectedException.InvalidArgument("content", "is required (may be empty)");
        }
        var (backend, workspaceDir) = await OpenAsync(sessionId, ct);
        var bytes = await backend.WriteAsync(relative, content, ct);
        workspaces.Log(workspaceDir, $"file written: {relative} ({bytes} bytes)");
        return new WriteSessionFileReply(sessionId, relative, bytes);
    }

    public async Task<WriteSessionFileReply> EditAsync(Guid sessionId, string? path, string? old, string? replacement, CancellationToken ct)
    {
        var relative = WorkspacePath.Normalize(path);
        WorkspacePath.EnsureWritable(relative);
        if (string.IsNullOrEmpty(old))
        {
            throw RequestRejectedException.InvalidArgument("old", "is required: the exact text to replace");
        }
        if (replacement is null)
        {
            throw RequestRejectedException.InvalidArgument("new", "is required (may be empty to delete the text)");
        }
        var (backend, workspaceDir) = await OpenAsync(sessionId, ct);
        var content = System.Text.Encoding.UTF8.GetString(await backend.ReadAsync(relative, ct));
        var first = content.IndexOf(old, StringComparison.Ordinal);
        if (first < 0)
        {
            throw RequestRejectedException.InvalidArgument("old", $"the text was not found in '{relative}'; read the file and copy the exact text");
        }
        var count = Occurrences(content, old);
        if (count > 1)
        {
            throw RequestRejectedException.InvalidArgument(
                "old", $"the text occurs {count} times in '{relative}'; include more surrounding text so it matches exactly once");
        }
        var edited = string.Concat(content.AsSpan(0, first), replacement, content.AsSpan(first + old.Length));
        long bytes;
        try
        {
            bytes = await backend.WriteAsync(relative, edited, ct);
        }
        catch (RequestRejectedException ex) when (ex.Rejection.Argument == "content")
        {
            throw RequestRejectedException.InvalidArgument("new", ex.Rejection.Message["content: ".Length..]);
        }
        workspaces.Log(workspaceDir, $"file edited: {relative} ({bytes} bytes)");
        return new WriteSessionFileReply(sessionId, relative, bytes);
    }

    public async Task<SessionFileList> ListAsync(Guid sessionId, string? path, CancellationToken ct)
    {
        var relative = WorkspacePath.Normalize(path ?? string.Empty, allowRoot: true);
        var (backend, _) = await OpenAsync(sessionId, ct);
        return new SessionFileList(sessionId, relative, await backend.ListAsync(relative, ct));
    }

    /// <summary>The session's backend, healthy, or a refusal: not found, or unavailable (retryable).</summary>
    public async Task<(IWorkspaceBackend Backend, string WorkspaceDir)> OpenAsync(Guid sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var (workspaceDir, backendName) = await sessions.WorkspaceOfAsync(connection, sessionId, ct);
        var backend = registry.For(await WorkspaceBackendRegistry.FindAsync(connection, backendName, ct), sessionId, workspaceDir);
        var health = await backend.CheckHealthAsync(ct);
        if (!health.Healthy)
        {
            throw WorkspaceBackendRegistry.Unavailable(health);
        }
        return (backend, workspaceDir);
    }

    /// <summary>The health of a session's backend that <see cref="OpenAsync"/> refused as unavailable.</summary>
    public async Task<BackendHealth> UnhealthyAsync(Guid sessionId, string detail, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var (_, backendName) = await sessions.WorkspaceOfAsync(connection, sessionId, ct);
        var backend = await WorkspaceBackendRegistry.FindAsync(connection, backendName, ct);
        return new BackendHealth(backend.Name, backend.Kind, false, detail);
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
