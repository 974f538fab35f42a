using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Every refusal is the right HTTP status with a JSON-RPC error body, never a 500 or a hang.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class TransportErrorTests
{
    private McpTestHost _host = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _host = await McpTestHost.StartAsync(new()
        {
            ["Mcp:MaxRequestBodyBytes"] = "4096",
            ["Mcp:AllowedHosts:0"] = "gateway.internal",
        });
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    // The SDK answers bodies that are not JSON with Invalid Request as well.
    [TestCase("{\"jsonrpc\":\"2.0\",\"id\":1,", -32600)]
    [TestCase("not json", -32600)]
    [TestCase("", -32600)]
    [TestCase("{\"hello\":\"world\"}", -32600)]
    [TestCase("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600)]
    [TestCase("42", -32600)]
    public async Task MalformedBodyIs400(string body, int expectedCode)
    {
        using var response = await _http.SendAsync(RawMcp.Post(_host.Endpoint, body));
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await RawMcp.ReadErrorCodeAsync(response), Is.EqualTo(expectedCode));
    }

    [TestCase("application/json")]
    [TestCase("text/event-stream")]
    [TestCase(null)]
    public async Task PostMustAcceptJsonAndEventStream(string? accept)
    {
        using var response = await _http.SendAsync(RawMcp.Post(_host.Endpoint, RawMcp.Initialize(1), accept: accept));
        Assert.That((int)response.StatusCode, Is.EqualTo(406));
        Assert.That(await RawMcp.ReadErrorCodeAsync(response), Is.EqualTo(-32000));
    }

    [Test]
    public async Task GetMustAcceptEventStream()
    {
        using var request = RawMcp.WithHeaders(new HttpRequestMessage(HttpMethod.Get, _host.Endpoint), "any", null, "application/json");
        using var response = await _http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(406));
        await RawMcp.ReadErrorCodeAsync(response);
    }

    [TestCase("text/plain")]
    [TestCase("application/x-www-form-urlencoded")]
    public async Task PostMustBeJson(string contentType)
    {
        using var response = await _http.SendAsync(RawMcp.Post(_host.Endpoint, RawMcp.Initialize(1), contentType: contentType));
        Assert.That((int)response.StatusCode, Is.EqualTo(415));
        await RawMcp.ReadErrorCodeAsync(response);
    }

    [Test]
    public async Task UnknownSessionIs404ForPostAndGet()
    {
        using var post = await _http.SendAsync(RawMcp.Post(_host.Endpoint, RawMcp.ToolsList(7), "no-such-session", RawMcp.SessionVersion));
        Assert.That((int)post.StatusCode, Is.EqualTo(404));
        Assert.That(await RawMcp.ReadErrorCodeAsync(post), Is.EqualTo(-32001));
        Assert.That((await RawMcp.ReadMessageAsync(post)).GetProperty("id").GetInt32(), Is.EqualTo(7));

        using var get = await _http.SendAsync(RawMcp.WithHeaders(new HttpRequestMessage(HttpMethod.Get, _host.Endpoint), "no-such-session", null, "text/event-stream"));
        Assert.That((int)get.StatusCode, Is.EqualTo(404));
        // DELETE is idempotent in the SDK: ending a session that is already gone succeeds.
        using var delete = await _http.SendAsync(RawMcp.WithHeaders(new HttpRequestMessage(HttpMethod.Delete, _host.Endpoint), "no-such-session", null, null));
        Assert.That((int)delete.StatusCode, Is.EqualTo(200));
    }

    [TestCase(null)]
    [TestCase(RawMcp.SessionVersion)]
    public async Task NonInitializeRequestWithoutSessionIs400(string? protocolVersion)
    {
        using var response = await _http.SendAsync(RawMcp.Post(_host.Endpoint, RawMcp.ToolsList(3), protocolVersion: protocolVersion));
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await RawMcp.ReadErrorCodeAsync(response), Is.EqualTo(-32000));
    }

    [Test]
    public async Task UnsupportedProtocolVersionIs400()
    {
        using var response = await _http.SendAsync(RawMcp.Post(_host.Endpoint, RawMcp.ToolsList(3), protocolVersion: "1999-01-01"));
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        var error = (await RawMcp.ReadMessageAsync(response)).GetProperty("error");
        Assert.That(error.GetProperty("data").GetProperty("supported").GetArrayLength(), Is.GreaterThan(0));
    }

    [TestCase("GET")]
    [TestCase("DELETE")]
    public async Task GetAndDeleteDoNotExistOnTheStatelessRevision(string method)
    {
        using var request = RawMcp.WithHeaders(new HttpRequestMessage(new HttpMethod(method), _host.Endpoint), null, RawMcp.StatelessVersion, "text/event-stream");
        using var response = await _http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(405));
        await RawMcp.ReadErrorCodeAsync(response);
    }

    [Test]
    public async Task OversizedBodyIs413WithContentLength()
    {
        var body = RawMcp.ToolCall(1, "echo", new JsonObject { ["text"] = new string('x', 8192) });
        using var response = await _http.SendAsync(RawMcp.Post(_host.Endpoint, body));
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
        await RawMcp.ReadErrorCodeAsync(response);
    }

    [Test]
    public async Task OversizedBodyIs413WhenChunked()
    {
        var body = RawMcp.ToolCall(1, "echo", new JsonObject { ["text"] = new string('x', 8192) });
        using var request = RawMcp.Post(_host.Endpoint, "");
        request.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        request.Headers.TransferEncodingChunked = true;
        using var response = await _http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
        await RawMcp.ReadErrorCodeAsync(response);
    }

    [TestCase("evil.example", null, 403)]
    [TestCase("localhost", "http://evil.example", 403)]
    [TestCase("localhost", "null", 403)]
    [TestCase("localhost", "http://localhost:3000", 200)]
    [TestCase("gateway.internal", "http://gateway.internal", 200)]
    public async Task HostAndOriginAreValidated(string host, string? origin, int expectedStatus)
    {
        using var request = RawMcp.Post(_host.Endpoint, RawMcp.Initialize(1));
        request.Headers.Host = $"{host}:{_host.Endpoint.Port}";
        if (origin is not null) request.Headers.Add("Origin", origin);
        using var response = await _http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(expectedStatus));
        if (expectedStatus == 403)
        {
            await RawMcp.ReadErrorCodeAsync(response);
        }
    }
}
