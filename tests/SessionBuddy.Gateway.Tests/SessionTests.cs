using System.Text.Json.Nodes;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Initialize-handshake sessions over raw HTTP: header, GET stream, DELETE, idle timeout, cap, disconnects.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class SessionTests
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [OneTimeTearDown]
    public void DisposeClient() => _http.Dispose();

    [TestCase("2025-06-18")]
    [TestCase("2025-11-25")]
    public async Task InitializeReturnsSessionIdAndNegotiatedVersion(string version)
    {
        await using var host = await McpTestHost.StartAsync();
        var sessionId = await InitializeAsync(host, version);

        using var list = await _http.SendAsync(RawMcp.Post(host.Endpoint, RawMcp.ToolsList(2), sessionId, version));
        Assert.That((int)list.StatusCode, Is.EqualTo(200));
        Assert.That(list.Headers.GetValues("Mcp-Session-Id").Single(), Is.EqualTo(sessionId));
        var tools = (await RawMcp.ReadMessageAsync(list)).GetProperty("result").GetProperty("tools");
        Assert.That(tools.EnumerateArray().Select(t => t.GetProperty("name").GetString()), Does.Contain("echo"));
    }

    [Test]
    public async Task GetStreamCarriesServerToClientMessages()
    {
        await using var host = await McpTestHost.StartAsync();
        var sessionId = await InitializeAsync(host, RawMcp.SessionVersion);

        using var get = RawMcp.WithHeaders(new HttpRequestMessage(HttpMethod.Get, host.Endpoint), sessionId, RawMcp.SessionVersion, "text/event-stream");
        using var stream = await _http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead);
        Assert.That((int)stream.StatusCode, Is.EqualTo(200));
        Assert.That(stream.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));

        using var second = RawMcp.WithHeaders(new HttpRequestMessage(HttpMethod.Get, host.Endpoint), sessionId, RawMcp.SessionVersion, "text/event-stream");
        using var secondResponse = await _http.SendAsync(second);
        Assert.That((int)secondResponse.StatusCode, Is.EqualTo(400));

        using var call = await _http.SendAsync(RawMcp.Post(host.Endpoint,
            RawMcp.ToolCall(3, "announce", new JsonObject { ["text"] = "hello" }), sessionId, RawMcp.SessionVersion));
        Assert.That((int)call.StatusCode, Is.EqualTo(200));

        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(timeout.Token);
        }
        while (line is not null && !line.Contains("notifications/test/announcement", StringComparison.Ordinal));
        Assert.That(line, Does.Contain("hello"));
    }

    [Test]
    public async Task DeleteEndsTheSession()
    {
        await using var host = await McpTestHost.StartAsync();
        var sessionId = await InitializeAsync(host, RawMcp.SessionVersion);

        using var delete = await _http.SendAsync(RawMcp.WithHeaders(new HttpRequestMessage(HttpMethod.Delete, host.Endpoint), sessionId, RawMcp.SessionVersion, null));
        Assert.That((int)delete.StatusCode, Is.EqualTo(200));
        using var after = await _http.SendAsync(RawMcp.Post(host.Endpoint, RawMcp.ToolsList(2), sessionId, RawMcp.SessionVersion));
        Assert.That((int)after.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task IdleSessionsExpire()
    {
        await using var host = await McpTestHost.StartAsync(new() { ["Mcp:SessionIdleTimeout"] = "00:00:01" });
        var sessionId = await InitializeAsync(host, RawMcp.SessionVersion);

        // The SDK sweeps idle sessions every 5 s; a request in between would count as activity.
        await Task.Delay(TimeSpan.FromSeconds(11));

        using var after = await _http.SendAsync(RawMcp.Post(host.Endpoint, RawMcp.ToolsList(2), sessionId, RawMcp.SessionVersion));
        Assert.That((int)after.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task CapClosesTheLeastRecentlyUsedIdleSession()
    {
        await using var host = await McpTestHost.StartAsync(new() { ["Mcp:MaxSessions"] = "2" });
        var first = await InitializeAsync(host, RawMcp.SessionVersion);
        var second = await InitializeAsync(host, RawMcp.SessionVersion);
        var third = await InitializeAsync(host, RawMcp.SessionVersion);

        foreach (var (id, status) in new[] { (first, 404), (second, 200), (third, 200) })
        {
            using var response = await _http.SendAsync(RawMcp.Post(host.Endpoint, RawMcp.ToolsList(2), id, RawMcp.SessionVersion));
            Assert.That((int)response.StatusCode, Is.EqualTo(status));
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task ClientDisconnectCancelsTheToolCall(bool inSession)
    {
        await using var host = await McpTestHost.StartAsync();
        var tag = inSession ? "session-disconnect" : "stateless-disconnect";
        var request = inSession
            ? RawMcp.Post(host.Endpoint, RawMcp.ToolCall(5, "slow", new JsonObject { ["tag"] = tag }),
                await InitializeAsync(host, RawMcp.SessionVersion), RawMcp.SessionVersion)
            : RawMcp.Post(host.Endpoint, RawMcp.StatelessToolCall(5, "slow", new JsonObject { ["tag"] = tag }),
                protocolVersion: RawMcp.StatelessVersion);
        using var disconnect = new CancellationTokenSource();

        var call = _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, disconnect.Token);
        await host.Probe.Started(tag).WaitAsync(TimeSpan.FromSeconds(10));
        await disconnect.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        await host.Probe.Cancelled(tag).WaitAsync(TimeSpan.FromSeconds(10));
        request.Dispose();
    }

    private async Task<string> InitializeAsync(McpTestHost host, string version)
    {
        using var response = await _http.SendAsync(RawMcp.Post(host.Endpoint, RawMcp.Initialize(1, version), protocolVersion: null));
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var sessionId = response.Headers.GetValues("Mcp-Session-Id").Single();
        var result = (await RawMcp.ReadMessageAsync(response)).GetProperty("result");
        Assert.That(result.GetProperty("protocolVersion").GetString(), Is.EqualTo(version));

        using var initialized = await _http.SendAsync(RawMcp.Post(host.Endpoint, RawMcp.Initialized(), sessionId, version));
        Assert.That((int)initialized.StatusCode, Is.EqualTo(202));
        return sessionId;
    }
}
