using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionBuddy.ServiceDefaults.Telemetry;

/// <summary>SessionBuddy's own ActivitySource and Meter, and the names of what they record; every service and the gateway use these.</summary>
public static class SessionBuddyTelemetry
{
    public const string Name = "SessionBuddy";

    /// <summary>Counter of MCP tool calls, tagged with the tool name and outcome.</summary>
    public const string ToolCalls = "sessionbuddy.tool.calls";

    /// <summary>Histogram of MCP tool call durations in seconds, tagged like <see cref="ToolCalls"/>.</summary>
    public const string ToolDuration = "sessionbuddy.tool.duration";

    public const string ToolNameTag = "sessionbuddy.tool.name";

    /// <summary>ok, tool_error (the caller gets an error it can act on), cancelled, or exception.</summary>
    public const string OutcomeTag = "sessionbuddy.tool.outcome";

    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name);
}
