using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// File tools routed to the session's workspace backend. Paths are relative to the session workspace;
/// the Sessions service refuses anything that would leave it.
/// </summary>
[McpServerToolType]
public sealed class WorkspaceFileTools(ServiceRequests requests)
{
    [McpServerTool(Name = "session_read_file", UseStructuredContent = true, ReadOnly = true)]
    [Description("Read a text file from the session's workspace.")]
    public Task<SessionFileContent> SessionReadFile(
        [Description("Session id (UUID).")] string sessionId,
        [Description("Path relative to the session workspace, e.g. work/src/app.py.")] string path,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ReadSessionFile, SessionFileContent>(new ReadSessionFile(ToolArguments.Id(sessionId, "session_id"), path), cancellationToken);

    [McpServerTool(Name = "session_write_file", UseStructuredContent = true)]
    [Description("Create or replace a text file in the session's workspace (parent directories are created).")]
    public Task<WriteSessionFileReply> SessionWriteFile(
        [Description("Session id (UUID).")] string sessionId,
        [Description("Path relative to the session workspace.")] string path,
        [Description("The whole new content (limited by Sessions:MaxFileBytes).")] string content,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<WriteSessionFile, WriteSessionFileReply>(
            new WriteSessionFile(ToolArguments.Id(sessionId, "session_id"), path, content), cancellationToken);

    [McpServerTool(Name = "session_edit_file", UseStructuredContent = true)]
    [Description("Replace the one exact occurrence of old with new in a workspace file; fails when old is absent or occurs more than once.")]
    public Task<WriteSessionFileReply> SessionEditFile(
        [Description("Session id (UUID).")] string sessionId,
        [Description("Path relative to the session workspace.")] string path,
        [Description("The exact text to replace; must occur exactly once.")] string old,
        [Description("The replacement text.")] string @new,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<EditSessionFile, WriteSessionFileReply>(
            new EditSessionFile(ToolArguments.Id(sessionId, "session_id"), path, old, @new), cancellationToken);

    [McpServerTool(Name = "session_list_files", UseStructuredContent = true, ReadOnly = true)]
    [Description("List files and directories under a workspace directory (recursively; symlinks are listed, not followed).")]
    public Task<SessionFileList> SessionListFiles(
        [Description("Session id (UUID).")] string sessionId,
        [Description("Directory relative to the session workspace; default the workspace itself.")] string? path = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListSessionFiles, SessionFileList>(new ListSessionFiles(ToolArguments.Id(sessionId, "session_id"), path), cancellationToken);
}
