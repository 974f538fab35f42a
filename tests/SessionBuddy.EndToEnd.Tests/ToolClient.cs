using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>A real MCP client on the gateway, with helpers to read structured results and tool errors.</summary>
public sealed class ToolClient : IAsyncDisposable
{
    private readonly McpClient _client;

    private ToolClient(McpClient client) => _client = client;

    public McpClient Mcp => _client;

    /// <param name="protocolVersion">null: the client's default (stateless, newest revision); otherwise a session-based revision.</param>
    /// <param name="bearerToken">Sent as <c>Authorization: Bearer</c> to a gateway with authentication on.</param>
    public static async Task<ToolClient> ConnectAsync(Uri endpoint, string? protocolVersion = null, string? bearerToken = null)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = bearerToken is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + bearerToken },
        });
        return new ToolClient(await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = protocolVersion }));
    }

    public async Task<CallToolResult> CallAsync(string tool, object? arguments = null, CancellationToken cancellationToken = default)
    {
        var args = arguments is null
            ? new Dictionary<string, object?>()
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments))!;
        return await _client.CallToolAsync(tool, args, cancellationToken: cancellationToken);
    }

    /// <summary>Calls a tool that must succeed and returns its structuredContent.</summary>
    public async Task<JsonElement> CallOkAsync(string tool, object? arguments = null, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync(tool, arguments, cancellationToken);
        if (result.IsError == true)
        {
            Assert.Fail($"{tool} failed: {Text(result)}");
        }
        Assert.That(result.StructuredContent, Is.Not.Null, $"{tool} returned no structuredContent");
        return result.StructuredContent!.Value;
    }

    /// <summary>Calls a tool that must fail and returns the error text.</summary>
    public async Task<string> CallErrorAsync(string tool, object? arguments = null)
    {
        var result = await CallAsync(tool, arguments);
        Assert.That(result.IsError, Is.True, $"{tool} should have failed but returned {Text(result)}");
        return Text(result);
    }

    public static string Text(CallToolResult result) =>
        string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
