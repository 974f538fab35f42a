using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// Presents tool arguments in snake_case: rewrites each tool's input schema once, and maps the
/// names of incoming arguments back to the C# parameter names the SDK binds by. Missing required
/// arguments are reported by name, and unexpected failures with the trace id instead of internals.
/// </summary>
internal sealed partial class SnakeCaseArguments
{
    private readonly Dictionary<string, ToolArguments> _byTool = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    private sealed record ToolArguments(Dictionary<string, string> ParameterNames, string[] Required);

    public SnakeCaseArguments(IEnumerable<McpServerTool> tools, ILogger logger)
    {
        _logger = logger;
        foreach (var tool in tools)
        {
            _byTool[tool.ProtocolTool.Name] = RenameSchema(tool.ProtocolTool);
        }
    }

    public McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => async (request, cancellationToken) =>
    {
        if (request.Params is not { } parameters || !_byTool.TryGetValue(parameters.Name, out var arguments))
        {
            return await next(request, cancellationToken);
        }

        var given = parameters.Arguments ?? new Dictionary<string, JsonElement>();
        if (arguments.Required.FirstOrDefault(name => !given.ContainsKey(name)) is { } missing)
        {
            return Error($"{missing}: required argument is missing");
        }

        parameters.Arguments = given.ToDictionary(
            pair => arguments.ParameterNames.GetValueOrDefault(pair.Key, pair.Key), pair => pair.Value);
        try
        {
            return await next(request, cancellationToken);
        }
        catch (Exception exception) when (exception is not (McpException or OperationCanceledException))
        {
            var traceId = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "none";
            LogToolFailed(parameters.Name, traceId, exception);
            return Error($"Tool '{parameters.Name}' failed unexpectedly (trace id {traceId}).");
        }
    };

    private static CallToolResult Error(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };

    private static ToolArguments RenameSchema(Tool tool)
    {
        var schema = JsonNode.Parse(tool.InputSchema.GetRawText())!.AsObject();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (schema["properties"] is JsonObject properties)
        {
            var renamed = new JsonObject();
            foreach (var (name, value) in properties.ToList())
            {
                properties.Remove(name);
                var wireName = JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
                names[wireName] = name;
                renamed[wireName] = value;
            }
            schema["properties"] = renamed;
        }

        string[] required = schema["required"] is JsonArray list
            ? [.. list.Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n!.GetValue<string>()))]
            : [];
        if (required.Length > 0)
        {
            schema["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
        }

        using var document = JsonDocument.Parse(schema.ToJsonString());
        tool.InputSchema = document.RootElement.Clone();
        return new ToolArguments(names, required);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Tool {Tool} failed (trace id {TraceId}).")]
    private partial void LogToolFailed(string tool, string traceId, Exception exception);
}
