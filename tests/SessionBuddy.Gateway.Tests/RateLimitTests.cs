using System.Net;
using System.Net.Http.Headers;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Per-token and per-address request rates (429 with Retry-After) and the worker-call concurrency limit.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class RateLimitTests
{
    private static async Task<HttpResponseMessage> PingAsync(HttpClient http, McpTestHost host, string? token)
    {
        var request = RawMcp.Post(host.Endpoint, RawMcp.Initialize(1));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await http.SendAsync(request);
    }

    [Test]
    public async Task EachTokenHasItsOwnBudgetAndExceedingItIs429WithRetryAfter()
    {
        await using var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings(new()
        {
            ["RateLimits:PerTokenPerSecond"] = "1",
            ["RateLimits:PerTokenBurst"] = "2",
        }));
        using var http = new HttpClient();
        var first = TestTokens.Valid("read");
        var second = TestTokens.Valid("read,write");

        for (var i = 0; i < 2; i++)
        {
            using var ok = await PingAsync(http, host, first);
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using var limited = await PingAsync(http, host, first);
        Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(await RawMcp.ReadErrorCodeAsync(limited), Is.EqualTo(-32000));

        using var otherToken = await PingAsync(http, host, second);
        Assert.That(otherToken.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task EachClientAddressHasABudgetWithoutAToken()
    {
        await using var host = await McpTestHost.StartSecuredAsync(new()
        {
            ["RateLimits:PerAddressPerSecond"] = "1",
            ["RateLimits:PerAddressBurst"] = "3",
        });
        using var http = new HttpClient();

        var statuses = new List<HttpStatusCode>();
        TimeSpan? retryAfter = null;
        for (var i = 0; i < 4; i++)
        {
            using var response = await PingAsync(http, host, token: null);
            statuses.Add(response.StatusCode);
            retryAfter = response.Headers.RetryAfter?.Delta;
        }
        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        Assert.That(retryAfter, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)), "the 429 says when to retry");
    }

    [Test]
    public async Task WorkerToolsHaveTheirOwnConcurrencyLimit()
    {
        await using var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings(new() { ["RateLimits:WorkerCallsPerCaller"] = "1" }));
        var token = TestTokens.Valid("read,execute");
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = host.Endpoint,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }));

        var blocked = client.CallToolAsync("run_command", new Dictionary<string, object?> { ["command"] = "block" }).AsTask();
        await host.Notes.CommandStarted.Task;
        var refused = await client.CallToolAsync("run_command", new Dictionary<string, object?> { ["command"] = "ls" });
        Assert.That(refused.IsError, Is.True);
        Assert.That(((TextContentBlock)refused.Content[0]).Text, Does.StartWith("Too many worker calls in flight for this caller (limit 1)"));
        var otherTools = await client.CallToolAsync("ping");
        Assert.That(otherTools.IsError, Is.Not.True, "other tools are not limited by worker calls");

        host.Notes.CommandGate.SetResult();
        Assert.That((await blocked).IsError, Is.Not.True);
        var afterwards = await client.CallToolAsync("run_command", new Dictionary<string, object?> { ["command"] = "ls" });
        Assert.That(afterwards.IsError, Is.Not.True);
    }
}
