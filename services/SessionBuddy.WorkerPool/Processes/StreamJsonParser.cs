using System.Text;
using System.Text.Json;

namespace SessionBuddy.WorkerPool.Processes;

/// <summary>
/// Reads the stream-json lines of Claude Code (<c>claude -p --output-format stream-json</c>) and Qwen Code
/// (<c>qwen -o stream-json</c>): system/init, assistant messages (text and tool_use blocks), user tool
/// results and the final result with duration_ms, total_cost_usd and usage. Lines that are not JSON
/// are kept as text.
/// </summary>
public sealed class StreamJsonParser
{
    private readonly StringBuilder _assistantText = new();
    private readonly StringBuilder _plainText = new();
    private readonly List<string> _toolUses = [];

    public string? Model { get; private set; }

    public string? CliSessionId { get; private set; }

    public string? ResultText { get; private set; }

    public bool SawResult { get; private set; }

    public bool ResultIsError { get; private set; }

    public string? ResultSubtype { get; private set; }

    public double? DurationMs { get; private set; }

    public double? TotalCostUsd { get; private set; }

    public int? NumTurns { get; private set; }

    public JsonElement? Usage { get; private set; }

    public IReadOnlyList<string> ToolUses => _toolUses;

    /// <summary>Consumes one output line; returns a short progress description, or null for nothing worth reporting.</summary>
    public string? Accept(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }
        if (trimmed[0] != '{')
        {
            return PlainText(line);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(trimmed);
        }
        catch (JsonException)
        {
            return PlainText(line);
        }
        using (document)
        {
            var root = document.RootElement;
            return String(root, "type") switch
            {
                "system" => System(root),
                "assistant" => Assistant(root),
                "user" => ToolResult(root),
                "result" => Result(root),
                var other => other is null ? PlainText(line) : null,
            };
        }
    }

    /// <summary>The task's output: the final result text, else the assistant's text, else the plain lines.</summary>
    public string Output =>
        ResultText is { Length: > 0 } result ? result
        : _assistantText.Length > 0 ? _assistantText.ToString().TrimEnd('\n')
        : _plainText.ToString().TrimEnd('\n');

    public Dictionary<string, object?> Metadata()
    {
        var metadata = new Dictionary<string, object?>();
        if (Model is not null) metadata["model"] = Model;
        if (CliSessionId is not null) metadata["cli_session_id"] = CliSessionId;
        if (DurationMs is not null) metadata["duration_ms"] = DurationMs;
        if (TotalCostUsd is not null) metadata["total_cost_usd"] = TotalCostUsd;
        if (NumTurns is not null) metadata["num_turns"] = NumTurns;
        if (Usage is not null) metadata["usage"] = Usage;
        if (ResultSubtype is not null) metadata["result_subtype"] = ResultSubtype;
        metadata["tool_uses"] = _toolUses.ToArray();
        return metadata;
    }

    private string? PlainText(string line)
    {
        _plainText.Append(line).Append('\n');
        return line;
    }

    private string? System(JsonElement root)
    {
        if (String(root, "subtype") != "init")
        {
            return null;
        }
        Model = String(root, "model") ?? Model;
        CliSessionId = String(root, "session_id") ?? CliSessionId;
        return $"init: model {Model ?? "unknown"}";
    }

    private string? Assistant(JsonElement root)
    {
        if (!root.TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content)
            || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        string? progress = null;
        foreach (var block in content.EnumerateArray())
        {
            switch (String(block, "type"))
            {
                case "text" when String(block, "text") is { } text:
                    _assistantText.Append(text).Append('\n');
                    progress = "assistant: " + text;
                    break;
                case "tool_use":
                    var name = String(block, "name") ?? "tool";
                    _toolUses.Add(name);
                    progress = "tool_use: " + name;
                    break;
            }
        }
        return progress;
    }

    private static string? ToolResult(JsonElement root) =>
        root.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content)
        && content.ValueKind == JsonValueKind.Array
        && content.EnumerateArray().Any(b => String(b, "type") == "tool_result")
            ? "tool_result"
            : null;

    private string? Result(JsonElement root)
    {
        SawResult = true;
        ResultSubtype = String(root, "subtype");
        ResultIsError = root.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True;
        ResultText = String(root, "result");
        DurationMs = Number(root, "duration_ms");
        TotalCostUsd = Number(root, "total_cost_usd");
        NumTurns = Number(root, "num_turns") is { } turns ? (int)turns : null;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Usage = usage.Clone();
        }
        return $"result: {ResultSubtype ?? "done"}" + (DurationMs is { } ms ? $" in {ms:0} ms" : "");
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
