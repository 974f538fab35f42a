using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// A tool's arguments as its input schema states them: wire (snake_case) names mapped to the C#
/// parameter names the SDK binds by, the required ones, and a validator per argument.
/// </summary>
internal sealed class ToolArguments
{
    private static readonly EvaluationOptions Flag = new() { OutputFormat = OutputFormat.Flag };

    private readonly Dictionary<string, string> _parameterNames;
    private readonly string[] _required;
    private readonly Dictionary<string, (JsonSchema Schema, string Shape)> _shapes = new(StringComparer.Ordinal);

    public ToolArguments(Dictionary<string, string> parameterNames, string[] required, JsonObject properties)
    {
        _parameterNames = parameterNames;
        _required = required;
        foreach (var (name, schema) in properties)
        {
            using var document = JsonDocument.Parse(schema!.ToJsonString());
            _shapes[name] = (JsonSchema.Build(document.RootElement.Clone()), Describe(schema));
        }
    }

    /// <summary>"name: what is wrong" for the first missing or wrongly shaped argument, else null.</summary>
    public string? FindProblem(IDictionary<string, JsonElement> given)
    {
        if (_required.FirstOrDefault(name => !given.ContainsKey(name)) is { } missing)
        {
            return $"{missing}: required argument is missing (expected {_shapes[missing].Shape})";
        }

        foreach (var (name, value) in given)
        {
            if (_shapes.TryGetValue(name, out var shape) && !shape.Schema.Evaluate(value, Flag).IsValid)
            {
                return $"{name}: expected {shape.Shape}, got {DescribeValue(value)}";
            }
            if (ContainsNul(value))
            {
                // PostgreSQL text cannot hold U+0000, and no name, path or content needs it.
                return $"{name}: must not contain the NUL character (U+0000)";
            }
        }
        return null;
    }

    private static bool ContainsNul(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!.Contains('\0', StringComparison.Ordinal),
        JsonValueKind.Array => value.EnumerateArray().Any(ContainsNul),
        JsonValueKind.Object => value.EnumerateObject().Any(p => p.Name.Contains('\0', StringComparison.Ordinal) || ContainsNul(p.Value)),
        _ => false,
    };

    public Dictionary<string, JsonElement> ToParameterNames(IDictionary<string, JsonElement> given) =>
        given.ToDictionary(pair => _parameterNames.GetValueOrDefault(pair.Key, pair.Key), pair => pair.Value);

    /// <summary>The shape a schema asks for, in words an agent can act on ("an array of strings or objects with ...").</summary>
    private static string Describe(JsonNode? schema)
    {
        if (schema is not JsonObject obj)
        {
            return "any JSON value";
        }
        if ((obj["anyOf"] ?? obj["oneOf"]) is JsonArray alternatives)
        {
            return string.Join(" or ", alternatives.Select(Describe).Distinct());
        }
        if (obj["enum"] is JsonArray values)
        {
            return "one of " + string.Join(", ", values.Select(v => v?.ToJsonString()));
        }
        string[] types = obj["type"] switch
        {
            JsonValue single => [single.GetValue<string>()],
            JsonArray several => [.. several.Select(t => t!.GetValue<string>()).Where(t => t != "null")],
            _ => [],
        };
        return types.Length == 0 ? "any JSON value" : string.Join(" or ", types.Select(type => type switch
        {
            "string" => obj["format"] is JsonValue format ? $"a string ({format.GetValue<string>()})" : "a string",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "true or false",
            "array" => "an array of " + Plural(Describe(obj["items"])),
            "object" when obj["properties"] is JsonObject { Count: > 0 } properties =>
                $"an object with {string.Join(", ", properties.Select(p => p.Key))}",
            "object" => "a JSON object",
            _ => type,
        }));
    }

    private static string Plural(string shape) => shape switch
    {
        "a string" => "strings",
        "an integer" => "integers",
        "a number" => "numbers",
        "a JSON object" => "JSON objects",
        _ => "items that are " + shape,
    };

    private static string DescribeValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };
}
