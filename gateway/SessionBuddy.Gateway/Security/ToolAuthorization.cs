using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using SessionBuddy.Gateway.Mcp;

namespace SessionBuddy.Gateway.Security;

/// <summary>The rules of the tools this server exposes (the gateway's: <see cref="GatewayToolRules.All"/>).</summary>
public sealed class ToolRuleTable(IReadOnlyDictionary<string, ToolRule> rules)
{
    public ToolRule? Find(string name) => rules.GetValueOrDefault(name);
}

/// <summary>
/// Per-tool authorization, in one place for every tool: tools/list shows only the tools the caller's
/// token may call, and tools/call refuses a missing scope (naming it) and data of another project. A
/// project-limited token has its project filled in where the tool takes one, and may touch a session only
/// when the session belongs to one of its projects.
/// </summary>
public static class ToolAuthorization
{
    public const string ProjectArgument = "project";
    public const string SessionArgument = "session_id";

    public static McpRequestHandler<ListToolsRequestParams, ListToolsResult> ListFilter(
        McpRequestHandler<ListToolsRequestParams, ListToolsResult> next) => async (request, cancellationToken) =>
    {
        var result = await next(request, cancellationToken);
        var caller = Caller.From(request.User);
        if (!caller.IsOpen)
        {
            var rules = request.Services!.GetRequiredService<ToolRuleTable>();
            result.Tools = [.. result.Tools.Where(tool => rules.Find(tool.Name) is { } rule && caller.MayCall(rule))];
        }
        return result;
    };

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> CallFilter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => async (request, cancellationToken) =>
    {
        var caller = Caller.From(request.User);
        if (caller.IsOpen || request.Params is not { } call)
        {
            return await next(request, cancellationToken);
        }
        var rule = request.Services!.GetRequiredService<ToolRuleTable>().Find(call.Name);
        if (rule is null)
        {
            // Not one of ours: the SDK answers "unknown tool".
            return await next(request, cancellationToken);
        }
        var refusal = Refusal(caller, call.Name, rule)
            ?? await ProjectRefusalAsync(caller, rule, call, request, cancellationToken);
        if (refusal is null)
        {
            return await next(request, cancellationToken);
        }
        request.Items[ToolCallAudit.DeniedItem] = true;
        return GatewayTool.Error(refusal);
    };

    private static string? Refusal(Caller caller, string tool, ToolRule rule)
    {
        if (!caller.Has(rule.Scope))
        {
            return $"Forbidden: {tool} needs the '{Caller.ScopeName(rule.Scope)}' scope; this token has: {caller.DescribeScopes()}.";
        }
        if (caller.Projects is not null && rule.Projects == ProjectRule.AllProjects)
        {
            return $"Forbidden: {tool} reads or changes data of every project; this token is limited to {caller.DescribeProjects()}.";
        }
        return null;
    }

    private static async Task<string?> ProjectRefusalAsync(
        Caller caller, ToolRule rule, CallToolRequestParams call, RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        if (caller.Projects is not { } projects)
        {
            return null;
        }
        var arguments = call.Arguments ??= new Dictionary<string, JsonElement>();
        switch (rule.Projects)
        {
            case ProjectRule.ProjectArgument:
                if (!arguments.TryGetValue(ProjectArgument, out var given) || given.ValueKind == JsonValueKind.Null)
                {
                    if (projects.Count > 1)
                    {
                        return $"{ProjectArgument}: required with this token; it is limited to {caller.DescribeProjects()}.";
                    }
                    arguments[ProjectArgument] = JsonSerializer.SerializeToElement(projects[0]);
                    return null;
                }
                return given.ValueKind == JsonValueKind.String && caller.MayAccess(given.GetString())
                    ? null
                    : $"{ProjectArgument}: this token is limited to {caller.DescribeProjects()}.";

            case ProjectRule.Session:
                if (!arguments.TryGetValue(SessionArgument, out var id) || id.ValueKind != JsonValueKind.String
                    || !Guid.TryParse(id.GetString(), out var sessionId))
                {
                    return null; // The tool itself refuses a missing or malformed session_id, touching nothing.
                }
                try
                {
                    var project = await request.Services!.GetRequiredService<ISessionProjects>().ProjectOfAsync(sessionId, cancellationToken);
                    // The audit entry of a session call names the session's project.
                    request.Items[ToolCallAudit.SessionProjectItem] = project;
                    return caller.MayAccess(project)
                        ? null
                        : $"{SessionArgument}: session {sessionId} belongs to another project; this token is limited to {caller.DescribeProjects()}.";
                }
                catch (McpException exception) when (exception is not McpProtocolException)
                {
                    return exception.Message;
                }

            default:
                return null;
        }
    }
}
