using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Security;

/// <summary>
/// Resources, prompts and completions read sessions and reflections of every project, so they are for
/// tokens with the read scope and no project limit. Others see empty lists and are refused on reads;
/// a limited token uses the tools, which check projects one by one.
/// </summary>
public static class ContentAuthorization
{
    public static IMcpRequestFilterBuilder AddContentAuthorization(this IMcpRequestFilterBuilder filters)
    {
        filters.AddListResourcesFilter(next => (request, ct) => Allowed(request) ? next(request, ct) : ValueTask.FromResult(new ListResourcesResult()));
        filters.AddListResourceTemplatesFilter(next => (request, ct) =>
            Allowed(request) ? next(request, ct) : ValueTask.FromResult(new ListResourceTemplatesResult()));
        filters.AddListPromptsFilter(next => (request, ct) => Allowed(request) ? next(request, ct) : ValueTask.FromResult(new ListPromptsResult()));
        filters.AddCompleteFilter(next => (request, ct) =>
            Allowed(request) ? next(request, ct) : ValueTask.FromResult(new CompleteResult { Completion = new Completion { Values = [] } }));
        filters.AddReadResourceFilter(next => (request, ct) => Allowed(request) ? next(request, ct) : throw Refusal(request, "resources"));
        filters.AddGetPromptFilter(next => (request, ct) => Allowed(request) ? next(request, ct) : throw Refusal(request, "prompts"));
        return filters;
    }

    private static bool Allowed<T>(RequestContext<T> request)
    {
        var caller = Caller.From(request.User);
        return caller.Has(ToolScope.Read) && caller.Projects is null;
    }

    private static McpProtocolException Refusal<T>(RequestContext<T> request, string what)
    {
        var caller = Caller.From(request.User);
        return new McpProtocolException(
            caller.Has(ToolScope.Read)
                ? $"Forbidden: {what} span every project; this token is limited to {caller.DescribeProjects()} (use the tools instead)."
                : $"Forbidden: {what} need the 'read' scope; this token has: {caller.DescribeScopes()}.",
            McpErrorCode.InvalidRequest);
    }
}
