using System.Text;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Resources;

/// <summary>
/// A session's documents as MCP resources, which clients show to people: the handoff written by end,
/// the session log, exports and workspace files (text, or base64 blobs for binary files). Each read
/// is one or two requests to the Sessions service; its refusals (unknown session, a path that would
/// leave the workspace) come back as JSON-RPC errors naming the fix. Parameter names are the
/// template variables.
/// </summary>
[McpServerResourceType]
public sealed class SessionResources(ServiceRequests requests)
{
    public const string Scheme = "sessionbuddy";

    public static string HandoffUri(Guid id) => $"{Scheme}://sessions/{id}/handoff";
    public static string LogUri(Guid id) => $"{Scheme}://sessions/{id}/log";
    public static string ExportUri(Guid id, string format) => $"{Scheme}://sessions/{id}/export/{format}";

    [McpServerResource(UriTemplate = Scheme + "://sessions/{session_id}/handoff", Name = "session_handoff", MimeType = "text/markdown")]
    [Description("The handoff document that end wrote for the session (markdown).")]
    public Task<ResourceContents> Handoff(string session_id, CancellationToken cancellationToken) => Read<ResourceContents>(async () =>
    {
        var session = await requests.SendAsync<GetSession, SessionDetails>(new GetSession(SessionId(session_id)), cancellationToken);
        var path = Path.GetRelativePath(session.WorkspaceDir, Path.Combine(session.OutputDir, "handoff.md"));
        try
        {
            var file = await requests.SendAsync<ReadSessionFile, SessionFileContent>(new ReadSessionFile(session.Id, path), cancellationToken);
            return Text(HandoffUri(session.Id), "text/markdown", file.Content);
        }
        catch (McpException)
        {
            throw new McpProtocolException(
                $"session {session.Id} has no handoff document yet (status {session.Status}); end the session to write one",
                McpErrorCode.ResourceNotFound);
        }
    });

    [McpServerResource(UriTemplate = Scheme + "://sessions/{session_id}/log", Name = "session_log", MimeType = "text/plain")]
    [Description("The session's log: status changes, file writes and worker output lines.")]
    public Task<ResourceContents> Log(string session_id, CancellationToken cancellationToken) => Read<ResourceContents>(async () =>
    {
        var log = await requests.SendAsync<GetSessionLog, SessionLog>(new GetSessionLog(SessionId(session_id), null), cancellationToken);
        return Text(LogUri(log.SessionId), "text/plain", string.Join('\n', log.Lines));
    });

    [McpServerResource(UriTemplate = Scheme + "://sessions/{session_id}/export/{format}", Name = "session_export")]
    [Description("The full session export: format json or markdown.")]
    public Task<ResourceContents> Export(string session_id, string format, CancellationToken cancellationToken) => Read<ResourceContents>(async () =>
    {
        var export = await requests.SendAsync<ExportSession, SessionExport>(new ExportSession(SessionId(session_id), format), cancellationToken);
        return Text(ExportUri(export.SessionId, export.Format), export.Format == "json" ? "application/json" : "text/markdown", export.Content);
    });

    [McpServerResource(UriTemplate = Scheme + "://sessions/{session_id}/files/{+path}", Name = "session_file")]
    [Description("A file of the session's workspace, by its path inside the workspace; binary files come as base64 blobs.")]
    public Task<ResourceContents> File(string session_id, string path, CancellationToken cancellationToken) => Read<ResourceContents>(async () =>
    {
        var file = await requests.SendAsync<ReadSessionFileBytes, SessionFileBytes>(
            new ReadSessionFileBytes(SessionId(session_id), Uri.UnescapeDataString(path)), cancellationToken);
        var uri = $"{Scheme}://sessions/{file.SessionId}/files/{file.Path}";
        return IsText(file.Content)
            ? Text(uri, "text/plain", Encoding.UTF8.GetString(file.Content))
            : BlobResourceContents.FromBytes(file.Content, uri, "application/octet-stream");
    });

    internal static Guid SessionId(string value) =>
        Guid.TryParse(value, out var id) ? id : throw new McpProtocolException($"session_id: '{value}' is not a UUID", McpErrorCode.InvalidParams);

    private static TextResourceContents Text(string uri, string mimeType, string text) => new() { Uri = uri, MimeType = mimeType, Text = text };

    /// <summary>UTF-8 without NUL bytes is shown as text.</summary>
    private static bool IsText(byte[] content)
    {
        if (content.AsSpan().Contains((byte)0))
        {
            return false;
        }
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(content);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// A service's refusal of a read (resource or prompt) is the caller's to fix: a JSON-RPC error with its
    /// words, where a tool would answer with an error result.
    /// </summary>
    internal static async Task<T> Read<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (McpException e) when (e is not McpProtocolException)
        {
            throw new McpProtocolException(e.Message, McpErrorCode.InvalidParams);
        }
    }
}
