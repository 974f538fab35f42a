using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Gateway.Tools;

/// <summary>The registry of workspace backends: which backend holds a session's files, and their health.</summary>
[McpServerToolType]
public sealed class WorkspaceBackendTools(ServiceRequests requests)
{
    [McpServerTool(Name = "register_workspace_backend", UseStructuredContent = true)]
    [Description("Register (or update) a workspace backend: local (a directory) or container (files reached through the docker/podman CLI). With session_id, that session's files move to this backend.")]
    public Task<WorkspaceBackendDetails> RegisterWorkspaceBackend(
        [Description("Backend name: letters, digits, '-', '_', '.'.")] string name,
        [Description("local or container (kubernetes is reserved).")] string kind,
        [Description("Container name or id (container backends).")] string? container = null,
        [Description("Directory inside the container holding session directories (default /workspace).")] string? root = null,
        [Description("Session (UUID) to map to this backend.")] string? sessionId = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<RegisterWorkspaceBackend, WorkspaceBackendDetails>(
            new RegisterWorkspaceBackend(name, kind, container, root, sessionId is null ? null : ToolArguments.Id(sessionId, "session_id")),
            cancellationToken);

    [McpServerTool(Name = "list_workspace_backends", UseStructuredContent = true, ReadOnly = true)]
    [Description("Every workspace backend with its kind, number of sessions and current health.")]
    public Task<WorkspaceBackendList> ListWorkspaceBackends(CancellationToken cancellationToken = default) =>
        requests.SendAsync<ListWorkspaceBackends, WorkspaceBackendList>(new ListWorkspaceBackends(), cancellationToken);
}
