using System.Text.Json;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// Session tools: each validates what only the gateway can (UUID syntax), sends one request to the
/// Sessions service and returns its reply. Business rules (names, roles, limits) are the service's.
/// Parameter names are exposed to clients in snake_case (session_id) by the MCP endpoint.
/// </summary>
[McpServerToolType]
public sealed class SessionTools(ServiceRequests requests)
{
    [McpServerTool(Name = "create_session", UseStructuredContent = true)]
    [Description("Create a development session with its own isolated workspace. Returns its id, status, workspace_dir and output_dir.")]
    public Task<SessionDetails> CreateSession(
        [Description("Human-readable session name (non-empty).")] string name,
        [Description("Project the session belongs to.")] string? project = null,
        [Description("The directory the agent works in.")] string? workingDirectory = null,
        [Description("Free-form JSON object stored with the session.")] JsonElement? metadata = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CreateSession, SessionDetails>(
            new CreateSession(Guid.NewGuid(), name, project, workingDirectory, metadata), cancellationToken);

    [McpServerTool(Name = "get_session", UseStructuredContent = true, ReadOnly = true)]
    [Description("Read one session.")]
    public Task<SessionDetails> GetSession(
        [Description("Session id (UUID).")] string sessionId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetSession, SessionDetails>(new GetSession(ToolArguments.Id(sessionId, "session_id")), cancellationToken);

    [McpServerTool(Name = "update_session", UseStructuredContent = true)]
    [Description("Change a session's name or status (created, starting, running, completed, failed); metadata keys are merged into the existing metadata.")]
    public Task<SessionDetails> UpdateSession(
        [Description("Session id (UUID).")] string sessionId,
        [Description("New name.")] string? name = null,
        [Description("New status: created, starting, running, completed or failed.")] string? status = null,
        [Description("JSON object whose keys are merged into the session's metadata.")] JsonElement? metadata = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<UpdateSession, SessionDetails>(
            new UpdateSession(ToolArguments.Id(sessionId, "session_id"), name, status, metadata), cancellationToken);

    [McpServerTool(Name = "list_sessions", UseStructuredContent = true, ReadOnly = true)]
    [Description("List sessions, newest first, optionally by project and status. Pass next_cursor back as cursor for the next page.")]
    public Task<SessionPage> ListSessions(
        [Description("Only sessions of this project.")] string? project = null,
        [Description("Only sessions with this status.")] string? status = null,
        [Description("Page size, 1..100 (default 50).")] int limit = ToolArguments.DefaultPageSize,
        [Description("next_cursor from the previous page.")] string? cursor = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListSessions, SessionPage>(new ListSessions(project, status, limit, cursor), cancellationToken);

    [McpServerTool(Name = "delete_session", UseStructuredContent = true, Destructive = true)]
    [Description("Delete a session with its messages and workspace; other services are told by event.")]
    public Task<SessionDeletion> DeleteSession(
        [Description("Session id (UUID).")] string sessionId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<DeleteSession, SessionDeletion>(new DeleteSession(ToolArguments.Id(sessionId, "session_id")), cancellationToken);

    [McpServerTool(Name = "add_message", UseStructuredContent = true)]
    [Description("Append a message to a session's conversation log.")]
    public Task<MessageDetails> AddMessage(
        [Description("Session id (UUID).")] string sessionId,
        [Description("user, assistant, system or tool.")] string role,
        [Description("Message text (non-empty; limited by Sessions:MaxMessageLength).")] string content,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<AddMessage, MessageDetails>(
            new AddMessage(Guid.NewGuid(), ToolArguments.Id(sessionId, "session_id"), role, content),
            cancellationToken);

    [McpServerTool(Name = "get_messages", UseStructuredContent = true, ReadOnly = true)]
    [Description("Read a session's messages in order. Pass next_cursor back as cursor for the next page.")]
    public Task<MessagePage> GetMessages(
        [Description("Session id (UUID).")] string sessionId,
        [Description("Page size, 1..100 (default 50).")] int limit = ToolArguments.DefaultPageSize,
        [Description("next_cursor from the previous page.")] string? cursor = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetMessages, MessagePage>(
            new GetMessages(ToolArguments.Id(sessionId, "session_id"), limit, cursor), cancellationToken);
}
