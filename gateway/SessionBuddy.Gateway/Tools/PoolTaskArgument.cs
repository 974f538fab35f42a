using System.Text.Json;
using System.Text.Json.Serialization;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Gateway.Mcp;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// One task of pool_execute / pool_route_execute, as callers send it: a prompt or command string, or
/// (as the seeds send it) an object with prompt or command and optional timeout_seconds, worker_type
/// and metadata. Other keys of the object (e.g. repo) are kept in the task's metadata.
/// </summary>
[JsonConverter(typeof(Converter))]
[ToolArgumentSchema(
    """
    {
      "anyOf": [
        { "type": "string", "description": "The prompt (AI CLI workers) or command (shell, container)." },
        {
          "type": "object",
          "description": "A task object: prompt or command, with optional timeout_seconds, worker_type and metadata.",
          "properties": {
            "prompt": { "type": "string" },
            "command": { "type": "string" },
            "timeout_seconds": { "type": "integer", "minimum": 30, "maximum": 3600 },
            "worker_type": { "type": "string" },
            "metadata": { "type": "object" }
          },
          "anyOf": [
            { "required": ["prompt"], "properties": { "prompt": { "type": "string" } } },
            { "required": ["command"], "properties": { "command": { "type": "string" } } }
          ]
        }
      ]
    }
    """)]
public sealed class PoolTaskArgument(JsonElement value)
{
    public JsonElement Value { get; } = value;

    private static readonly string[] Known = ["prompt", "command", "timeout_seconds", "worker_type", "metadata"];

    public TaskSpec ToTaskSpec(int index)
    {
        var value = Value;
        if (value.ValueKind == JsonValueKind.String)
        {
            return new TaskSpec(value.GetString()!);
        }

        var hasPrompt = value.TryGetProperty("prompt", out var prompt);
        var hasCommand = value.TryGetProperty("command", out var command);
        if (hasPrompt == hasCommand)
        {
            throw new ToolArgumentException("tasks", $"task {index} needs either prompt or command (not both)");
        }

        var metadata = new Dictionary<string, JsonElement>();
        if (value.TryGetProperty("metadata", out var given))
        {
            foreach (var property in given.EnumerateObject())
            {
                metadata[property.Name] = property.Value;
            }
        }
        foreach (var property in value.EnumerateObject().Where(p => !Known.Contains(p.Name)))
        {
            metadata.TryAdd(property.Name, property.Value);
        }

        return new TaskSpec(
            (hasPrompt ? prompt : command).GetString()!,
            value.TryGetProperty("timeout_seconds", out var timeout) ? timeout.GetInt32() : null,
            value.TryGetProperty("worker_type", out var workerType) ? workerType.GetString() : null,
            metadata.Count == 0 ? null : JsonSerializer.SerializeToElement(metadata));
    }

    public static IReadOnlyList<TaskSpec> ToTaskSpecs(PoolTaskArgument[]? tasks) =>
        [.. (tasks ?? []).Select((task, index) => task.ToTaskSpec(index))];

    /// <summary>Keeps the element as sent; its shape was checked against the schema above before binding.</summary>
    private sealed class Converter : JsonConverter<PoolTaskArgument>
    {
        public override PoolTaskArgument Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(JsonElement.ParseValue(ref reader));

        public override void Write(Utf8JsonWriter writer, PoolTaskArgument value, JsonSerializerOptions options) =>
            value.Value.WriteTo(writer);
    }
}
