using ModelContextProtocol.Server;
using SessionBuddy.Gateway.Analytics;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.Gateway.Messaging;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.Gateway.Extensions;

internal static class Extensions
{
    public const int DefaultPort = 8678;

    /// <summary>Every [McpServerToolType] class in this assembly (one per service area, in Tools/) is exposed.</summary>
    private static readonly Type[] ToolTypes =
        [.. typeof(Extensions).Assembly.GetTypes().Where(t => t.IsDefined(typeof(McpServerToolTypeAttribute), inherit: false))];

    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        // ASPNETCORE_URLS (set by the AppHost or a deployment) wins; otherwise Gateway:Port on loopback.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{builder.Configuration.GetValue("Gateway:Port", DefaultPort)}");
        }

        builder.Services.Configure<GatewayOptions>(builder.Configuration.GetSection(GatewayOptions.SectionName));
        builder.Services.AddSingleton<ServiceRequests>();
        builder.Services.AddSingleton<SessionBuddy.Gateway.Progress.TaskCompletionWatch>();
        builder.Services.AddSingleton<ToolCallTimings>();
        builder.Services.AddHostedService<ToolCallReporter>();
        builder.AddServiceBus(serviceName: null, _ => { }, reliableSends: false);
        builder.Services.AddMcpEndpoint(builder.Configuration, ToolTypes);
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        app.MapMcpEndpoint("/mcp");
        return app;
    }
}
