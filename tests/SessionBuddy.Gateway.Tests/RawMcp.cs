using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Hand-made Streamable HTTP requests, for what a well-behaved client never sends.</summary>
internal static class RawMcp
{
    public const string StatelessVersion = "2026-07-28";
    public const string SessionVersion = "2025-11-25";
    public const string BothAccepted = "application/json, text/event-stream";

    public static HttpRequestMessage Post(Uri endpoint, string body, string? sessionId = null, string? protocolVersion = null,
        string? accept = BothAccepted, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (protocolVersion == StatelessVersion && TryParse(body) is { } message && message["method"] is JsonValue method)
        {
            // 2026-07-28 requests name their method (and tool) in headers as well as in the body.
            request.Headers.Add("Mcp-Method", method.GetValue<string>());
            if (message["params"]?["name"] is JsonValue name)
            {
                request.Headers.Add("Mcp-Name", name.GetValue<string>());
            }
        }
        return WithHeaders(request, sessionId, protocolVersion, accept);
    }

    public static HttpRequestMessage WithHeaders(HttpRequestMessage request, string? sessionId, string? protocolVersion, string? accept)
    {
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        if (sessionId is not null) request.Headers.Add("Mcp-Session-Id", sessionId);
        if (protocolVersion is not null) request.Headers.Add("MCP-Protocol-Version", protocolVersion);
        return request;
    }

    public static string Initialize(int id, string protocolVersion = SessionVersion) => Request(id, "initialize", new JsonObject
    {
        ["protocolVersion"] = protocolVersion,
        ["capabilities"] = new JsonObject(),
        ["clientInfo"] = new JsonObject { ["name"] = "raw-test", ["version"] = "1.0" },
    });

    public static string Initialized() =>
        new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/initialized" }.ToJsonString();

    public static string ToolsList(int id) => Request(id, "tools/list", new JsonObject());

    public static string ToolCall(int id, string name, JsonObject arguments) =>
        Request(id, "tools/call", new JsonObject { ["name"] = name, ["arguments"] = arguments });

    /// <summary>A tools/call on the per-request revision, which carries version and capabilities in _meta.</summary>
    public static string StatelessToolCall(int id, string name, JsonObject arguments) =>
        Request(id, "tools/call", new JsonObject
        {
            ["name"] = name,
            ["arguments"] = arguments,
            ["_meta"] = new JsonObject
            {
                ["io.modelcontextprotocol/protocolVersion"] = StatelessVersion,
                ["io.modelcontextprotocol/clientCapabilities"] = new JsonObject(),
            },
        });

    private static JsonObject? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Request(int id, string method, JsonObject parameters) =>
        new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters }.ToJsonString();

    /// <summary>The JSON-RPC message answering a request, whether sent as JSON or as the last SSE event.</summary>
    public static async Task<JsonElement> ReadMessageAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            body = body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal))
                .Select(l => l["data:".Length..].Trim())
                .Last(l => l.Contains("\"result\"", StringComparison.Ordinal) || l.Contains("\"error\"", StringComparison.Ordinal));
        }

        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<int> ReadErrorCodeAsync(HttpResponseMessage response)
    {
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var message = await ReadMessageAsync(response);
        Assert.That(message.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(message.GetProperty("error").GetProperty("message").GetString(), Is.Not.Empty);
        return message.GetProperty("error").GetProperty("code").GetInt32();
    }
}
