using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Bearer tokens on the MCP endpoint: only a valid one passes; a refusal points at the resource metadata.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class AuthenticationTests
{
    private McpTestHost _host = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _host = await McpTestHost.StartSecuredAsync(TestTokens.Settings());
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<HttpResponseMessage> ListToolsAsync(string? token)
    {
        var request = RawMcp.Post(_host.Endpoint, RawMcp.Initialize(1));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await _http.SendAsync(request);
    }

    [Test]
    public async Task NoTokenIs401PointingAtTheProtectedResourceMetadata()
    {
        using var response = await ListToolsAsync(token: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var challenge = response.Headers.WwwAuthenticate.Single();
        Assert.That(challenge.Scheme, Is.EqualTo("Bearer"));
        var metadataUri = $"{_host.Endpoint.GetLeftPart(UriPartial.Authority)}/.well-known/oauth-protected-resource/mcp";
        Assert.That(challenge.Parameter, Is.EqualTo($"resource_metadata=\"{metadataUri}\""));

        using var metadata = JsonDocument.Parse(await _http.GetStringAsync(metadataUri));
        var root = metadata.RootElement;
        Assert.That(root.GetProperty("resource").GetString(), Is.EqualTo(_host.Endpoint.ToString()));
        Assert.That(root.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { TestTokens.Issuer }));
        Assert.That(root.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "read", "write", "execute", "admin" }));
    }

    [Test]
    public async Task ValidTokenIsServed()
    {
        using var response = await ListToolsAsync(TestTokens.Valid("read"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var message = await RawMcp.ReadMessageAsync(response);
        Assert.That(message.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString(), Is.EqualTo("SessionBuddy"));
    }

    private static IEnumerable<TestCaseData> BadTokens()
    {
        yield return new TestCaseData(TestTokens.Forged("read,write,execute,admin")).SetName("Forged signature is 401");
        yield return new TestCaseData(TestTokens.Expired("read")).SetName("Expired token is 401");
        yield return new TestCaseData(TestTokens.WrongAudience("read")).SetName("Wrong audience is 401");
        yield return new TestCaseData(TestTokens.WrongIssuer("read")).SetName("Wrong issuer is 401");
        yield return new TestCaseData(TestTokens.Unsigned("read,write,execute,admin")).SetName("alg none is 401");
        yield return new TestCaseData("not-a-jwt").SetName("Garbage token is 401");
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task BadTokenIsRefused(string token)
    {
        using var response = await ListToolsAsync(token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
    }

    [TestCase("http://127.0.0.1:8678", true)]
    [TestCase("http://localhost:8678", true)]
    [TestCase("http://[::1]:8678", true)]
    [TestCase("http://0.0.0.0:8678", false)]
    [TestCase("http://*:8678", false)]
    [TestCase("http://+:8678", false)]
    [TestCase("http://[::]:8678", false)]
    [TestCase("http://gateway.example:8678", false)]
    public void LoopbackIsRecognised(string url, bool loopback) =>
        Assert.That(GatewayAuthentication.IsLoopback(url), Is.EqualTo(loopback));

    [Test]
    public void WithoutAuthOnANetworkAddressTheGatewayRefusesToStartAndSaysHowToConfigure()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();

        var refusal = Assert.Throws<InvalidOperationException>(() =>
            services.AddGatewayAuthentication(configuration, ["http://0.0.0.0:8678"]));

        Assert.That(refusal!.Message, Does.Contain("http://0.0.0.0:8678").And.Contain("Auth__Secret").And.Contain("Auth__JwksUrl"));
        Assert.DoesNotThrow(() => services.AddGatewayAuthentication(configuration, ["http://127.0.0.1:8678"]));
    }

    [Test]
    public void AShortSecretIsRefused()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:Secret"] = "short" }).Build();
        var refusal = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            new ServiceCollection().AddGatewayAuthentication(configuration, ["http://0.0.0.0:1"]));
        Assert.That(refusal!.Message, Does.StartWith("Auth:Secret: is shorter than 32 bytes").And.Contain(GatewayAuthentication.HowToConfigure));

        // The token command reads the settings through the same check: it signs nothing with a secret the gateway refuses.
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.That(TokenCommand.Run(["token", "--scopes", "read"], configuration, output, error), Is.EqualTo(2));
        Assert.That(error.ToString(), Does.StartWith("token: Auth:Secret: is shorter than 32 bytes"));
        Assert.That(output.ToString(), Is.Empty);
    }

    [Test]
    public void TokenCommandPrintsATokenTheGatewayAccepts()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(TestTokens.Settings()).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = TokenCommand.Run(["token", "--scopes", "read,write", "--project", "p1", "--subject", "dev"], configuration, output, error);

        Assert.That(exit, Is.EqualTo(0), error.ToString());
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(output.ToString().Trim());
        Assert.That(token.Subject, Is.EqualTo("dev"));
        Assert.That(token.GetClaim("scope").Value, Is.EqualTo("read write"));
        Assert.That(token.GetClaim("projects").Value, Is.EqualTo("p1"));
        Assert.That(token.Audiences, Is.EqualTo(new[] { TestTokens.Audience }));
        Assert.That(TokenCommand.Run(["token", "--scopes", "root"], configuration, output, error), Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain("unknown: root"));
    }
}
