using System.Collections.Concurrent;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Tests;

/// <summary>The real .NET 2.3.1 client, both in its default (stateless, newest revision) and session modes.</summary>
[TestFixture]
public sealed class McpClientTests
{
    private McpTestHost _host = null!;

    [OneTimeSetUp]
    public async Task StartHost() => _host = await McpTestHost.StartAsync();

    [OneTimeTearDown]
    public async Task StopHost() => await _host.DisposeAsync();

    private Task<McpClient> ConnectAsync(string? protocolVersion) =>
        McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = _host.Endpoint,
                TransportMode = HttpTransportMode.StreamableHttp,
            }),
            new McpClientOptions { ProtocolVersion = protocolVersion });

    [Test]
    public async Task DefaultClientIsServedStatelesslyOnTheNewestRevision()
    {
        await using var client = await ConnectAsync(protocolVersion: null);

        Assert.That(client.NegotiatedProtocolVersion, Is.EqualTo("2026-07-28"));
        Assert.That(client.SessionId, Is.Null);
        Assert.That(client.ServerInfo?.Name, Is.EqualTo("SessionBuddy"));
        await AssertToolsWorkAsync(client);
    }

    [TestCase("2025-06-18")]
    [TestCase("2025-11-25")]
    public async Task InitializeClientGetsASession(string protocolVersion)
    {
        string sessionId;
        await using (var client = await ConnectAsync(protocolVersion))
        {
            Assert.That(client.NegotiatedProtocolVersion, Is.EqualTo(protocolVersion));
            Assert.That(client.SessionId, Is.Not.Null.And.Not.Empty);
            sessionId = client.SessionId!;
            await client.PingAsync();
            await AssertToolsWorkAsync(client);
        }

        // Disposing the client sent DELETE: the session is gone.
        using var http = new HttpClient();
        using var response = await http.SendAsync(RawMcp.Post(_host.Endpoint, RawMcp.ToolsList(2), sessionId, protocolVersion));
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
    }

    [TestCase(null)]
    [TestCase("2025-11-25")]
    public async Task ProgressReachesTheCaller(string? protocolVersion)
    {
        await using var client = await ConnectAsync(protocolVersion);
        var reports = new ConcurrentQueue<ProgressNotificationValue>();

        var result = await client.CallToolAsync("progress", new Dictionary<string, object?> { ["steps"] = 3 },
            new SynchronousProgress(reports.Enqueue));

        Assert.That(result.IsError, Is.Not.True);
        Assert.That(() => reports.Count, Is.EqualTo(3).After(5000, 50));
        Assert.That(reports.Select(r => r.Progress), Is.EquivalentTo(new[] { 1f, 2f, 3f }));
    }

    [TestCase(null)]
    [TestCase("2025-11-25")]
    public async Task ToolErrorsNameTheArgument(string? protocolVersion)
    {
        await using var client = await ConnectAsync(protocolVersion);

        var invalid = await client.CallToolAsync("find_session", new Dictionary<string, object?> { ["session_id"] = "nope" });
        var missing = await client.CallToolAsync("find_session", new Dictionary<string, object?>());
        var crash = await client.CallToolAsync("crash", new Dictionary<string, object?>());

        Assert.That(invalid.IsError, Is.True);
        Assert.That(Text(invalid), Does.Contain("session_id: not a UUID"));
        Assert.That(missing.IsError, Is.True);
        Assert.That(Text(missing), Does.Contain("session_id: required"));
        Assert.That(crash.IsError, Is.True);
        Assert.That(Text(crash), Does.Contain("trace id").And.Not.Contain("secret"));
    }

    [Test]
    public async Task CancelledCallStopsTheTool()
    {
        await using var client = await ConnectAsync(protocolVersion: null);
        using var cts = new CancellationTokenSource();

        var call = client.CallToolAsync("slow", new Dictionary<string, object?> { ["tag"] = "client-cancel" },
            cancellationToken: cts.Token).AsTask();
        await _host.Probe.Started("client-cancel").WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        await _host.Probe.Cancelled("client-cancel").WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task ANulCharacterInAnyStringArgumentIsRefusedNamingTheArgument()
    {
        await using var client = await ConnectAsync(protocolVersion: null);
        var result = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["text"] = "a\u0000b" });
        Assert.That(result.IsError, Is.True);
        Assert.That(Text(result), Is.EqualTo("text: must not contain the NUL character (U+0000)"));
    }

    private static async Task AssertToolsWorkAsync(McpClient client)
    {
        var tools = await client.ListToolsAsync();
        var echo = tools.Single(t => t.Name == "echo");
        var properties = echo.ProtocolTool.InputSchema.GetProperty("properties");
        Assert.That(properties.TryGetProperty("repeat_count", out _), Is.True, "arguments are snake_case");
        Assert.That(echo.ProtocolTool.OutputSchema?.GetProperty("properties").TryGetProperty("echoed_text", out _), Is.True);

        var result = await client.CallToolAsync("echo", new Dictionary<string, object?> { ["text"] = "hi", ["repeat_count"] = 2 });
        Assert.That(result.IsError, Is.Not.True);
        var structured = result.StructuredContent!.Value;
        Assert.That(structured.GetProperty("echoed_text").GetString(), Is.EqualTo("hihi"));
        Assert.That(structured.GetProperty("repeat_count").GetInt32(), Is.EqualTo(2));
        Assert.That(JsonDocument.Parse(Text(result)).RootElement.GetProperty("echoed_text").GetString(), Is.EqualTo("hihi"));

        var found = await client.CallToolAsync("find_session",
            new Dictionary<string, object?> { ["session_id"] = "0b9d7e0c-8f8e-4d3e-9c55-4a1e1f0c2a11" });
        Assert.That(found.StructuredContent!.Value.GetProperty("session_id").GetString(), Is.EqualTo("0b9d7e0c-8f8e-4d3e-9c55-4a1e1f0c2a11"));
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private sealed class SynchronousProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}
