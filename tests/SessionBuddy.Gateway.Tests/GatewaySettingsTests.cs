using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionBuddy.Gateway.Extensions;
using SessionBuddy.ServiceDefaults;

namespace SessionBuddy.Gateway.Tests;

/// <summary>
/// The gateway as Program.cs builds it refuses to start on a bad setting of any of its sections, naming the key: those
/// read while services are registered (Gateway, Auth, Messaging) and those checked when the host starts (RateLimits,
/// Tools, Mcp). That the defaults start is shown by <see cref="ListenAddressTests"/>, which runs the gateway process.
/// </summary>
[TestFixture]
public sealed class GatewaySettingsTests
{
    [TestCase("Gateway:Port", "70000", "Gateway:Port: must be a port number, 0 to 65535")]
    [TestCase("Gateway:RequestTimeout", "00:00:00", "Gateway:RequestTimeout: must be positive and at most a day")]
    [TestCase("Gateway:RequestAttempts", "0", "Gateway:RequestAttempts: must be at least 1")]
    [TestCase("Auth:Secret", "short", "Auth:Secret: is shorter than 32 bytes.")]
    [TestCase("Messaging:StartTimeout", "-00:00:01", "Messaging:StartTimeout: must be positive")]
    [TestCase("Messaging:PrefetchCount", "-1", "Messaging:PrefetchCount: must be between 0 and 65535")]
    [TestCase("RateLimits:PerAddressPerSecond", "-5", "RateLimits:PerAddressPerSecond: must be at least 0")]
    [TestCase("RateLimits:PerTokenBurst", "10", "RateLimits:PerTokenBurst: must be at least PerTokenPerSecond (2000)")]
    [TestCase("RateLimits:WorkerCallsPerCaller", "0", "RateLimits:WorkerCallsPerCaller: must be at least 1")]
    [TestCase("Tools:Allow:0", "create_sesion", "Tools:Allow: names tools that do not exist: create_sesion.")]
    [TestCase("Mcp:MaxSessions", "0", "Mcp:MaxSessions: must be at least 1")]
    [TestCase("Mcp:MaxRequestBodyBytes", "0", "Mcp:MaxRequestBodyBytes: must be at least 1")]
    [TestCase("Mcp:SessionIdleTimeout", "00:00:00", "Mcp:SessionIdleTimeout: must be positive")]
    public void ABadSettingStopsTheStartNamingItsKey(string key, string value, string message)
    {
        var refused = Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = Build(new() { [key] = value });
            await app.StartAsync();
            await app.StopAsync();
        });
        Assert.That(refused!.Message, Does.StartWith(message));
    }

    [Test]
    public void EveryBadKeyOfASectionIsNamedAtOnce()
    {
        var refused = Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = Build(new() { ["Mcp:MaxSessions"] = "0", ["Mcp:SessionIdleTimeout"] = "-00:01:00" });
            await app.StartAsync();
        });
        Assert.That(refused!.Failures, Is.EquivalentTo(new[] { "Mcp:MaxSessions: must be at least 1", "Mcp:SessionIdleTimeout: must be positive" }));
    }

    /// <summary>The gateway's Program.cs up to Build and the endpoint mapping, on any free loopback port; no broker is reached before a refusal.</summary>
    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1",
            ["Gateway:Port"] = "0",
            ["Messaging:StartTimeout"] = "00:00:05", // a setting wrongly accepted fails the test in seconds, not minutes
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGatewayEndpoints();
        return app;
    }
}
