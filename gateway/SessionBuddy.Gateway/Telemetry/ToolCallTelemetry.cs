using System.Diagnostics;
using System.Diagnostics.Metrics;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Gateway.Telemetry;

/// <summary>
/// One span, one count and one duration per MCP tools/call, tagged with the tool name and outcome
/// (ok, tool_error, cancelled, exception), on SessionBuddy's own ActivitySource and Meter. The span is the parent
/// of the bus request, so the service's spans and SQL join the same trace.
/// </summary>
public static class ToolCallTelemetry
{
    private static readonly Counter<long> Calls = SessionBuddyTelemetry.Meter.CreateCounter<long>(
        SessionBuddyTelemetry.ToolCalls, unit: "{call}", description: "MCP tool calls by tool and outcome");

    private static readonly Histogram<double> Duration = SessionBuddyTelemetry.Meter.CreateHistogram<double>(
        SessionBuddyTelemetry.ToolDuration, unit: "s", description: "MCP tool call duration by tool and outcome");

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => async (request, cancellationToken) =>
    {
        var tool = request.Params?.Name ?? "";
        using var activity = SessionBuddyTelemetry.ActivitySource.StartActivity("tool " + tool);
        activity?.SetTag(SessionBuddyTelemetry.ToolNameTag, tool);
        var started = Stopwatch.GetTimestamp();
        var outcome = "exception";
        try
        {
            var result = await next(request, cancellationToken);
            outcome = result.IsError == true ? "tool_error" : "ok";
            return result;
        }
        catch (McpException)
        {
            // Argument and protocol errors the SDK turns into an error result for the caller.
            outcome = "tool_error";
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            var tags = new TagList { { SessionBuddyTelemetry.ToolNameTag, tool }, { SessionBuddyTelemetry.OutcomeTag, outcome } };
            Calls.Add(1, tags);
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            if (activity is not null)
            {
                activity.SetTag(SessionBuddyTelemetry.OutcomeTag, outcome);
                if (outcome is "tool_error" or "exception")
                {
                    activity.SetStatus(ActivityStatusCode.Error, outcome);
                }
            }
        }
    };
}
