using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// The tool surface as a strict client sees it: schemas that are valid JSON Schema 2020-12 with object
/// sub-schemas only (the TypeScript SDK rejects boolean ones and then lists no tool at all), and for
/// every argument of every tool, a value of the wrong JSON shape is a tool error naming it.
/// </summary>
[TestFixture]
public sealed class ToolSchemaTests
{
    private static readonly EvaluationOptions Flag = new() { OutputFormat = OutputFormat.Flag };

    [Test]
    public async Task EverySchemaIsJsonSchema202012WithObjectSubSchemasOnly()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var listed = await tools.Mcp.ListToolsAsync();
        Assert.That(listed, Has.Count.GreaterThan(50));
        foreach (var tool in listed.Select(t => t.ProtocolTool))
        {
            var schemas = new List<(string Name, JsonElement Schema)> { ("inputSchema", tool.InputSchema) };
            if (tool.OutputSchema is { } output)
            {
                schemas.Add(("outputSchema", output));
            }
            foreach (var (name, schema) in schemas)
            {
                Assert.That(schema.GetProperty("type").GetString(), Is.EqualTo("object"), $"{tool.Name}.{name} must describe an object");
                Assert.That(MetaSchemas.Draft202012.Evaluate(schema, Flag).IsValid, Is.True, $"{tool.Name}.{name} is not valid JSON Schema 2020-12");
                Assert.That(BooleanSubSchemas(JsonNode.Parse(schema.GetRawText()), "#"), Is.Empty, $"{tool.Name}.{name} has boolean sub-schemas");
            }
        }
    }

    [Test]
    public async Task AnArgumentOfTheWrongShapeIsAToolErrorNamingItForEveryTool()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var checkedArguments = 0;
        foreach (var tool in (await tools.Mcp.ListToolsAsync()).Select(t => t.ProtocolTool))
        {
            var input = JsonNode.Parse(tool.InputSchema.GetRawText())!.AsObject();
            var properties = input["properties"] as JsonObject ?? [];
            var required = (input["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).ToHashSet();
            foreach (var (argument, schema) in properties)
            {
                var wrong = WrongValueFor(schema!);
                Assert.That(wrong, Is.Not.Null, $"{tool.Name}.{argument} accepts any JSON value: {schema!.ToJsonString()}");
                var arguments = new Dictionary<string, object?>
                {
                    [argument] = wrong,
                };
                foreach (var name in required.Where(r => r != argument))
                {
                    arguments[name] = ValidValueFor(properties[name]!);
                }

                var result = await tools.Mcp.CallToolAsync(tool.Name, arguments);
                var text = ToolClient.Text(result);
                Assert.That(result.IsError, Is.True, $"{tool.Name}({argument} = {wrong?.ToJsonString()}) was accepted: {text}");
                Assert.That(text, Does.StartWith($"{argument}: expected "), $"{tool.Name}: {text}");
                Assert.That(text, Does.Not.Contain("unexpectedly"));
                checkedArguments++;
            }
        }
        Assert.That(checkedArguments, Is.GreaterThan(100));
    }

    /// <summary>The first of a few differently shaped values that the argument's schema refuses.</summary>
    private static JsonNode? WrongValueFor(JsonNode schema)
    {
        var compiled = JsonSchema.Build(JsonDocument.Parse(schema.ToJsonString()).RootElement);
        JsonNode?[] candidates = [new JsonObject { ["unexpected"] = 1 }, "text", 12345.5, true, new JsonArray(1, 2)];
        return candidates.FirstOrDefault(value => !compiled.Evaluate(JsonSerializer.SerializeToElement(value), Flag).IsValid);
    }

    private static JsonNode? ValidValueFor(JsonNode schema)
    {
        if (schema["anyOf"] is JsonArray alternatives)
        {
            return ValidValueFor(alternatives[0]!);
        }
        var type = schema["type"] switch
        {
            JsonValue single => single.GetValue<string>(),
            JsonArray several => several.Select(t => t!.GetValue<string>()).First(t => t != "null"),
            _ => "object",
        };
        return type switch
        {
            "string" => Guid.NewGuid().ToString(),
            "integer" or "number" => schema["minimum"]?.GetValue<double>() ?? 1,
            "boolean" => false,
            "array" => new JsonArray(ValidValueFor(schema["items"] ?? new JsonObject())),
            _ => new JsonObject(),
        };
    }

    private static IEnumerable<string> BooleanSubSchemas(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                yield return path;
                break;
            case JsonObject obj:
                foreach (var key in new[] { "items", "additionalProperties", "not", "contains", "propertyNames" })
                {
                    foreach (var found in BooleanSubSchemas(obj[key], $"{path}/{key}"))
                    {
                        yield return found;
                    }
                }
                foreach (var key in new[] { "properties", "$defs", "patternProperties" })
                {
                    foreach (var (name, sub) in obj[key] as JsonObject ?? [])
                    {
                        foreach (var found in BooleanSubSchemas(sub, $"{path}/{key}/{name}"))
                        {
                            yield return found;
                        }
                    }
                }
                foreach (var key in new[] { "anyOf", "oneOf", "allOf", "prefixItems" })
                {
                    var list = obj[key] as JsonArray ?? [];
                    for (var i = 0; i < list.Count; i++)
                    {
                        foreach (var found in BooleanSubSchemas(list[i], $"{path}/{key}/{i}"))
                        {
                            yield return found;
                        }
                    }
                }
                break;
        }
    }
}
