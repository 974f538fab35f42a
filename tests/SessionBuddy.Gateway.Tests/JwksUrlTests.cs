using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace SessionBuddy.Gateway.Tests;

/// <summary>
/// RS256 tokens checked against a JSON Web Key Set served over HTTP at Auth:JwksUrl (an authorization server's
/// jwks_uri, here an in-test server), including a key rotation: a token signed with a key id that appeared in the
/// set after the gateway first read it is accepted.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class JwksUrlTests
{
    private readonly RSA _first = RSA.Create(2048);
    private readonly RSA _second = RSA.Create(2048);
    private volatile string _keySet = "";
    private (RSA Key, string Id) _current;
    private int _fetches;
    private WebApplication _issuer = null!;
    private McpTestHost _host = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartIssuerAndGateway()
    {
        _current = (_first, "rsa-1");
        _keySet = KeySet(_current);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _issuer = builder.Build();
        _issuer.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref _fetches);
            return Results.Text(_keySet, "application/json");
        });
        await _issuer.StartAsync();

        _host = await McpTestHost.StartSecuredAsync(new()
        {
            ["Auth:JwksUrl"] = _issuer.Urls.First() + "/jwks",
            ["Auth:Issuers:0"] = TestTokens.Issuer,
            ["Auth:Audience"] = TestTokens.Audience,
        });
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
    }

    [OneTimeTearDown]
    public async Task StopIssuerAndGateway()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        await _issuer.DisposeAsync();
        _first.Dispose();
        _second.Dispose();
    }

    private static string KeySet(params (RSA Key, string Id)[] keys) => JsonSerializer.Serialize(new
    {
        keys = keys.Select(k => JwksTests.PublicJwk(
            JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(k.Key.ExportParameters(false)) { KeyId = k.Id }), "RS256")).ToArray(),
    });

    private static string Token(RSA key, string keyId) =>
        JwksTests.Token(new RsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.RsaSha256);

    private async Task<HttpStatusCode> StatusAsync(string token)
    {
        using var request = RawMcp.Post(_host.Endpoint, RawMcp.Initialize(1));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    [Test, Order(2)]
    public async Task Rs256TokenSignedWithAKeyOfTheServedSetIsAccepted()
    {
        Assert.That(await StatusAsync(Token(_current.Key, _current.Id)), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(_fetches, Is.GreaterThanOrEqualTo(1), "the key set was read from the URL");
        using var stranger = RSA.Create(2048);
        Assert.That(await StatusAsync(Token(stranger, _current.Id)), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await StatusAsync(TestTokens.Valid("read")), Is.EqualTo(HttpStatusCode.Unauthorized), "HS256 is not accepted with only public keys");
    }

    /// <remarks>
    /// First, so that no earlier unknown key id has used the refresh that JwtBearer may request at once (later ones wait
    /// the configuration manager's RefreshInterval, 5 minutes). The handler asks for the re-read when a token names an
    /// unknown key id and the manager fetches in the background, so the first calls with the new key may be refused.
    /// </remarks>
    [Test, Order(1)]
    public async Task AfterARotationATokenWithTheNewKeyIdIsAcceptedAndTheRetiredKeyIsNot()
    {
        Assert.That(await StatusAsync(Token(_first, "rsa-1")), Is.EqualTo(HttpStatusCode.OK));
        var fetchesBefore = _fetches;

        // The authorization server rotates: the set now holds only the new key.
        _current = (_second, "rsa-2");
        _keySet = KeySet(_current);

        var token = Token(_second, "rsa-2");
        var refused = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await StatusAsync(token) != HttpStatusCode.OK)
        {
            refused++;
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"a token with the new key id was still refused after {refused} calls");
            await Task.Delay(200);
        }
        TestContext.Out.WriteLine($"calls with the new key id refused before it was accepted: {refused}; key set fetches: {_fetches - fetchesBefore}");
        Assert.That(_fetches, Is.GreaterThan(fetchesBefore), "the unknown key id made the gateway read the set again");
        Assert.That(await StatusAsync(Token(_first, "rsa-1")), Is.EqualTo(HttpStatusCode.Unauthorized), "the retired key");
    }
}
