using SessionBuddy.Contracts.Analytics;

namespace SessionBuddy.Gateway.Tools;

/// <summary>The audit log of mutating tool calls, kept by the Analytics service.</summary>
[McpServerToolType]
public sealed class AuditTools(ServiceRequests requests)
{
    [McpServerTool(Name = "get_audit_log", UseStructuredContent = true, ReadOnly = true)]
    [Description("Administrative: the newest audited tool calls first (every call of a tool that needs the write, execute or admin scope, refused ones included): " +
        "at, subject (token subject, or anonymous@address), tool, project, session_id, outcome (ok, tool_error, denied, failed), instance. Arguments are never recorded.")]
    public Task<AuditLog> GetAuditLog(
        [Description("Entries to return, 1..1000 (default 50).")] int limit = 50,
        [Description("Only calls by this subject.")] string? subject = null,
        [Description("Only calls of this tool.")] string? tool = null,
        [Description("Only calls at or after this ISO 8601 time.")] string? since = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetAuditLog, AuditLog>(new GetAuditLog(limit, subject, tool, since), cancellationToken);
}
