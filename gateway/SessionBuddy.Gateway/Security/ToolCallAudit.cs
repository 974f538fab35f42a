using System.Text.Json;
using MassTransit;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SessionBuddy.Contracts.Analytics;

namespace SessionBuddy.Gateway.Security;

/// <summary>Where audit entries go: the gateway's log and the Analytics service's audit log (get_audit_log).</summary>
public interface IAuditTrail
{
    Task RecordAsync(ToolCallAudited entry);
}

/// <summary>
/// Audits every call of a tool that needs more than the read scope, refused ones included: subject, tool,
/// project or session, outcome and time; never arguments. The entry is recorded before the caller gets
/// the result.
/// </summary>
public static class ToolCallAudit
{
    /// <summary>Set in a request's Items by <see cref="ToolAuthorization"/> when it refuses the call.</summary>
    public const string DeniedItem = "sessionbuddy.denied";

    private static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => async (request, cancellationToken) =>
    {
        var trail = request.Services!.GetService<IAuditTrail>();
        if (trail is null || request.Params is not { } call
            || request.Services!.GetRequiredService<ToolRuleTable>().Find(call.Name) is not { } rule || rule.Scope == ToolScope.Read)
        {
            return await next(request, cancellationToken);
        }
        // Read before the call: the tool renames the arguments to its parameter names (session_id -> sessionId).
        var sessionId = Guid.TryParse(Text(call, ToolAuthorization.SessionArgument), out var id) ? id : (Guid?)null;
        var outcome = AuditOutcomes.Failed;
        try
        {
            var result = await next(request, cancellationToken);
            outcome = request.Items.ContainsKey(DeniedItem) ? AuditOutcomes.Denied
                : result.IsError == true ? AuditOutcomes.ToolError : AuditOutcomes.Ok;
            return result;
        }
        catch (McpException)
        {
            outcome = AuditOutcomes.ToolError;
            throw;
        }
        finally
        {
            // The project is read afterwards: authorization fills in a limited token's own (the name is the same in both spellings).
            await trail.RecordAsync(new ToolCallAudited(NewId.NextGuid(), DateTimeOffset.UtcNow, Subject(request), call.Name,
                Text(call, ToolAuthorization.ProjectArgument), sessionId, outcome, Instance));
        }
    };

    private static string Subject(RequestContext<CallToolRequestParams> request)
    {
        var caller = Caller.From(request.User);
        return caller.IsOpen
            ? $"{caller.Subject}@{request.Services!.GetService<IHttpContextAccessor>()?.HttpContext?.Connection.RemoteIpAddress}"
            : caller.Subject;
    }

    private static string? Text(CallToolRequestParams call, string argument) =>
        call.Arguments?.TryGetValue(argument, out var value) == true && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

internal sealed partial class BusAuditTrail(IBus bus, ILogger<BusAuditTrail> logger) : IAuditTrail
{
    public async Task RecordAsync(ToolCallAudited entry)
    {
        LogAudited(entry.Subject, entry.Tool, entry.Project, entry.SessionId, entry.Outcome);
        try
        {
            await bus.Publish(entry, context => context.Durable = true);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogPublishFailed(exception, entry.AuditId);
        }
    }

    [LoggerMessage(LogLevel.Information, "Audit: {Subject} called {Tool} (project {Project}, session {SessionId}): {Outcome}")]
    private partial void LogAudited(string subject, string tool, string? project, Guid? sessionId, string outcome);

    [LoggerMessage(LogLevel.Error, "Audit entry {AuditId} could not be published to the audit log; it is only in this log")]
    private partial void LogPublishFailed(Exception exception, Guid auditId);
}
