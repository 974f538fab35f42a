using ModelContextProtocol;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// A tool argument the caller can fix. Being an <see cref="McpException"/> (and not an
/// McpProtocolException), the SDK turns it into a tool result with isError: true whose text
/// carries this message, so the agent sees e.g. "session_id: not a UUID".
/// </summary>
public class ToolArgumentException(string argument, string message)
    : McpException($"{argument}: {message}")
{
    public string Argument { get; } = argument;
}
