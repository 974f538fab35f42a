using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SessionBuddy.Gateway.Tests;

/// <summary>RS256 and ES256 tokens checked against public keys from a JSON Web Key Set file.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class JwksTests
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private string _jwksFile = null!;
    private McpTestHost _host = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        var rsaKey = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = "rsa-1" });
        var ecKey = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(_ec.ExportParameters(false))) { KeyId = "ec-1" });
        _jwksFile = Path.Combine(Path.GetTempPath(), $"jwks-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(_jwksFile, JsonSerializer.Serialize(new { keys = new[] { PublicJwk(rsaKey, "RS256"), PublicJwk(ecKey, "ES256") } }));
        _host = await McpTestHost.StartSecuredAsync(new()
        {
            ["Auth:JwksFile"] = _jwksFile,
            ["Auth:Issuers:0"] = TestTokens.Issuer,
            ["Auth:Audience"] = TestTokens.Audience,
        });
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        File.Delete(_jwksFile);
        _rsa.Dispose();
        _ec.Dispose();
    }

    [Test]
    public async Task Rs256TokenIsAccepted() =>
        Assert.That(await StatusAsync(Token(new RsaSecurityKey(_rsa) { KeyId = "rsa-1" }, SecurityAlgorithms.RsaSha256)), Is.EqualTo(HttpStatusCode.OK));

    [Test]
    public async Task Es256TokenIsAccepted() =>
        Assert.That(await StatusAsync(Token(new ECDsaSecurityKey(_ec) { KeyId = "ec-1" }, SecurityAlgorithms.EcdsaSha256)), Is.EqualTo(HttpStatusCode.OK));

    [Test]
    public async Task KeyNotInTheSetIsRefused()
    {
        using var stranger = RSA.Create(2048);
        Assert.That(await StatusAsync(Token(new RsaSecurityKey(stranger) { KeyId = "rsa-1" }, SecurityAlgorithms.RsaSha256)), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task HmacTokenIsRefusedWhenOnlyPublicKeysAreConfigured() =>
        Assert.That(await StatusAsync(TestTokens.Valid("read")), Is.EqualTo(HttpStatusCode.Unauthorized));

    private async Task<HttpStatusCode> StatusAsync(string token)
    {
        using var request = RawMcp.Post(_host.Endpoint, RawMcp.Initialize(1));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    internal static string Token(SecurityKey key, string algorithm) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", "tester"), new Claim("scope", "read")]),
        Issuer = TestTokens.Issuer,
        Audience = TestTokens.Audience,
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(key, algorithm),
    });

    internal static Dictionary<string, string> PublicJwk(JsonWebKey key, string algorithm)
    {
        var jwk = new Dictionary<string, string> { ["kty"] = key.Kty, ["kid"] = key.Kid, ["use"] = "sig", ["alg"] = algorithm };
        foreach (var (name, value) in new[] { ("n", key.N), ("e", key.E), ("crv", key.Crv), ("x", key.X), ("y", key.Y) })
        {
            if (value is not null)
            {
                jwk[name] = value;
            }
        }
        return jwk;
    }
}
