using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway.Tests;

/// <summary>A minimal gateway-shaped host on a free loopback port serving the test tools.</summary>
public sealed class McpTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private McpTestHost(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }
    public ToolProbe Probe => _app.Services.GetRequiredService<ToolProbe>();
    public NoteBook Notes => _app.Services.GetRequiredService<NoteBook>();

    /// <summary>Serves <paramref name="toolType"/> (default <see cref="TestTools"/>) without the gateway's security.</summary>
    public static async Task<McpTestHost> StartAsync(Dictionary<string, string?>? settings = null, Type? toolType = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Services.AddSingleton<ToolProbe>();
        builder.Services.AddMcpEndpoint(toolType ?? typeof(TestTools));

        var app = builder.Build();
        app.MapMcpEndpoint();
        await app.StartAsync();
        return new McpTestHost(app, new Uri(app.Urls.First() + "/mcp"));
    }

    /// <summary>The gateway's security (authentication from "Auth", tool rules, profiles) around <see cref="NoteTools"/>.</summary>
    public static async Task<McpTestHost> StartSecuredAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<NoteBook>();
        builder.Services.AddGatewayAuthentication(builder.Configuration, ["http://127.0.0.1:0"]);
        builder.Services.AddGatewayRateLimits();
        builder.Services.AddMcpEndpoint(typeof(NoteTools)).AddToolAuthorization(NoteTools.Rules, typeof(NoteTools));
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.RequireGatewayAuthentication(app.MapMcpEndpoint());
        await app.StartAsync();
        return new McpTestHost(app, new Uri(app.Urls.First() + "/mcp"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
