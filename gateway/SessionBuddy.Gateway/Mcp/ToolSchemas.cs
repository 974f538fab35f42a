using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>
/// Gives an argument type its own JSON Schema where the one inferred from the CLR type would not say
/// what callers may send (e.g. "a string or an object"). The type reads the argument with a converter.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
public sealed class ToolArgumentSchemaAttribute(string schema) : Attribute
{
    public string Schema { get; } = schema;
}

/// <summary>Also offers an [McpServerTool] method under another name with its own description (quick_search for search_reflections).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ToolAliasAttribute(string name, string description) : Attribute
{
    public string Name { get; } = name;

    public string Description { get; } = description;
}

/// <summary>
/// Builds the gateway's tools from [McpServerTool] methods with the wire conventions every MCP client
/// can use: snake_case argument and result names, and schemas whose every sub-schema is an object.
/// The SDK infers <c>true</c> (anything) for free-form JSON such as metadata; strict clients (the
/// TypeScript SDK inside Claude Code and Inspector) reject boolean sub-schemas and would see no tools.
/// Free-form arguments are therefore JSON objects, and free-form result fields any JSON value (<c>{}</c>).
/// </summary>
internal static class ToolSchemas
{
    /// <summary>
    /// Results are snake_case: this naming policy makes SessionId serialize as session_id in
    /// structuredContent, its text rendering and the output schema. Null fields are written: the output
    /// schema lists every field as required (with null allowed), and strict clients check that.
    /// </summary>
    public static readonly JsonSerializerOptions SerializerOptions = new(McpJsonUtilities.DefaultOptions)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    /// <summary>The names an [McpServerTool] method is offered under: its own, then its [ToolAlias] names (none for other methods).</summary>
    public static IEnumerable<string> ToolNames(MethodInfo method) =>
        method.GetCustomAttribute<McpServerToolAttribute>() is { Name: { } name }
            ? method.GetCustomAttributes<ToolAliasAttribute>().Select(alias => alias.Name).Prepend(name)
            : [];

    /// <summary>The tool of an [McpServerTool] method, then one per [ToolAlias] on it (same arguments and handler, another name).</summary>
    public static IEnumerable<McpServerTool> CreateTools(Type type, MethodInfo method, IServiceProvider services) =>
        method.GetCustomAttributes<ToolAliasAttribute>()
            .Select(alias => CreateTool(type, method, services, alias.Name, alias.Description))
            .Prepend(CreateTool(type, method, services));

    private static McpServerTool CreateTool(Type type, MethodInfo method, IServiceProvider services, string? name = null, string? description = null)
    {
        var options = new McpServerToolCreateOptions
        {
            Services = services,
            SerializerOptions = SerializerOptions,
            Name = name, // null: the [McpServerTool] name; the other settings always come from the attributes
            Description = description,
        };
        // Instance tools are activated per call from the request's (scoped) services, by a factory
        // built once per type rather than by constructor lookup on every call.
        var activate = ActivatorUtilities.CreateFactory(type, Type.EmptyTypes);
        var tool = method.IsStatic
            ? McpServerTool.Create(method, options: options)
            : McpServerTool.Create(method, request => activate(request.Services!, null), options);
        return new GatewayTool(tool, RewriteSchemas(tool.ProtocolTool, method));
    }

    /// <summary>
    /// Renames input properties to snake_case, states what free-form and declared-schema arguments
    /// accept, and replaces boolean sub-schemas.
    /// </summary>
    private static ToolArguments RewriteSchemas(ModelContextProtocol.Protocol.Tool tool, MethodInfo method)
    {
        var parameterTypes = method.GetParameters().ToDictionary(p => p.Name!, p => p.ParameterType, StringComparer.Ordinal);
        var input = JsonNode.Parse(tool.InputSchema.GetRawText())!.AsObject();
        var parameterNames = new Dictionary<string, string>(StringComparer.Ordinal);
        if (input["properties"] is JsonObject properties)
        {
            var renamed = new JsonObject();
            foreach (var (name, value) in properties.ToList())
            {
                properties.Remove(name);
                var wireName = JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
                parameterNames[wireName] = name;
                renamed[wireName] = ReplaceBooleanSchemas(
                    parameterTypes.TryGetValue(name, out var parameterType) ? DeclaredSchema(value!.AsObject(), parameterType) : value,
                    FreeFormArgument);
            }
            input["properties"] = renamed;
        }

        string[] required = input["required"] is JsonArray list
            ? [.. list.Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n!.GetValue<string>()))]
            : [];
        if (required.Length > 0)
        {
            input["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
        }

        tool.InputSchema = ToElement(input);
        if (tool.OutputSchema is { } output)
        {
            tool.OutputSchema = ToElement(ReplaceBooleanSchemas(JsonNode.Parse(output.GetRawText()), AnyValue));
        }

        return new ToolArguments(parameterNames, required, input["properties"] as JsonObject ?? []);
    }

    /// <summary>
    /// The schema of an argument whose CLR type says more than the inferred schema: free-form JSON
    /// (JsonElement) must be an object, and a type with <see cref="ToolArgumentSchemaAttribute"/> (or an
    /// array of one) gets the declared schema. The description is kept.
    /// </summary>
    private static JsonNode DeclaredSchema(JsonObject inferred, Type parameterType)
    {
        var type = Nullable.GetUnderlyingType(parameterType) ?? parameterType;
        var itemType = type.IsArray ? type.GetElementType()! : null;
        JsonNode? declared = (itemType ?? type) == typeof(JsonElement)
            ? FreeFormArgument()
            : (itemType ?? type).GetCustomAttribute<ToolArgumentSchemaAttribute>() is { } attribute ? JsonNode.Parse(attribute.Schema) : null;
        if (declared is null)
        {
            return inferred;
        }
        if (itemType is not null)
        {
            inferred["items"] = declared;
            return inferred;
        }
        var schema = declared.AsObject();
        if (inferred["description"] is { } description)
        {
            schema["description"] = description.DeepClone();
        }
        return schema;
    }

    private static JsonNode FreeFormArgument() => new JsonObject { ["type"] = new JsonArray("object", "null") };

    private static JsonNode AnyValue() => new JsonObject();

    /// <summary>
    /// Every place where a schema stands (property values, items, combinators, definitions) gets an
    /// object instead of <c>true</c>; <c>false</c> becomes <c>{"not": {}}</c>.
    /// </summary>
    private static JsonNode? ReplaceBooleanSchemas(JsonNode? schema, Func<JsonNode> forTrue)
    {
        switch (schema)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.True:
                return forTrue();
            case JsonValue value when value.GetValueKind() == JsonValueKind.False:
                return new JsonObject { ["not"] = new JsonObject() };
            case JsonObject obj:
                foreach (var key in new[] { "items", "additionalProperties", "not", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties" })
                {
                    if (obj[key] is { } sub)
                    {
                        obj[key] = ReplaceBooleanSchemas(sub.DeepClone(), forTrue);
                    }
                }
                foreach (var key in new[] { "properties", "$defs", "definitions", "patternProperties" })
                {
                    if (obj[key] is JsonObject map)
                    {
                        foreach (var (name, sub) in map.ToList())
                        {
                            map[name] = ReplaceBooleanSchemas(sub?.DeepClone(), forTrue);
                        }
                    }
                }
                foreach (var key in new[] { "anyOf", "oneOf", "allOf", "prefixItems" })
                {
                    if (obj[key] is JsonArray list)
                    {
                        for (var i = 0; i < list.Count; i++)
                        {
                            list[i] = ReplaceBooleanSchemas(list[i]?.DeepClone(), forTrue);
                        }
                    }
                }
                return obj;
            default:
                return schema;
        }
    }

    private static JsonElement ToElement(JsonNode? node)
    {
        using var document = JsonDocument.Parse(node!.ToJsonString());
        return document.RootElement.Clone();
    }
}
