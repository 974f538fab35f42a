using System.Diagnostics;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// One tool as clients see it: snake_case arguments checked against its input schema before the tool
/// runs, so a missing or wrongly shaped argument is a tool error naming it and the expected shape;
/// anything else that fails inside is reported with the trace id instead of internals, and a caller
/// that disconnects cancels the call.
/// </summary>
internal sealed partial class GatewayTool(McpServerTool inner, ToolArguments arguments) : DelegatingMcpServerTool(inner)
{
    public override async ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
    {
        if (request.Params is { } parameters)
        {
            var given = parameters.Arguments ?? new Dictionary<string, JsonElement>();
            if (arguments.FindProblem(given) is { } problem)
            {
                return Error(problem);
            }
            parameters.Arguments = arguments.ToParameterNames(given);
        }

        // A session's server outlives the POST that called the tool: a client that goes away mid-call
        // cancels the tool as notifications/cancelled would (stateless calls end with their request anyway).
        var aborted = request.Services?.GetService<IHttpContextAccessor>()?.HttpContext?.RequestAborted ?? CancellationToken.None;
        using var callEnd = aborted.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, aborted) : null;
        try
        {
            return await base.InvokeAsync(request, callEnd?.Token ?? cancellationToken);
        }
        catch (McpException exception) when (exception is not McpProtocolException)
        {
            // The service's or the tool's own words ("session_id: ..."), without the SDK's "An error occurred invoking" prefix.
            return Error(exception.Message);
        }
        catch (Exception exception) when (exception is not (McpException or OperationCanceledException))
        {
            var traceId = Activity.Current?.TraceId.ToString() ?? "none";
            var logger = request.Services?.GetService<ILogger<GatewayTool>>();
            if (logger is not null)
            {
                LogToolFailed(logger, ProtocolTool.Name, traceId, exception);
            }
            return Error($"Tool '{ProtocolTool.Name}' failed unexpectedly (trace id {traceId}).");
        }
    }

    /// <summary>A tool error: what the caller (an agent) reads and can act on.</summary>
    internal static CallToolResult Error(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };

    [LoggerMessage(Level = LogLevel.Error, Message = "Tool {Tool} failed (trace id {TraceId}).")]
    private static partial void LogToolFailed(ILogger logger, string tool, string traceId, Exception exception);
}
