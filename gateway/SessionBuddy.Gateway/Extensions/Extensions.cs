using ModelContextProtocol.Server;
using SessionBuddy.Gateway.Analytics;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.Gateway.Messaging;
using SessionBuddy.Gateway.Progress;
using SessionBuddy.Gateway.Prompts;
using SessionBuddy.Gateway.Resources;
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
        builder.Services.AddSingleton<TaskCompletionWatch>();
        builder.Services.AddSingleton<TaskEventHub>();
        builder.Services.AddSingleton<ToolCallTimings>();
        builder.Services.AddHostedService<ToolCallReporter>();
        // Every gateway process hears every task event, on a queue of its own that goes away with it.
        builder.AddServiceBus(serviceName: null, bus => bus.AddConsumer<TaskEventsConsumer>()
            .Endpoint(e => { e.Temporary = true; e.InstanceId = Guid.NewGuid().ToString("N")[..12]; }), reliableSends: false);
        builder.Services.AddSingleton<SessionResources>();
        builder.Services.AddSingleton<SessionResourceDirectory>();
        builder.Services.AddMcpEndpoint(builder.Configuration, ToolTypes)
            .WithResources<SessionResources>()
            .WithPrompts<SessionPrompts>()
            .WithListResourcesHandler((request, ct) => request.Services!.GetRequiredService<SessionResourceDirectory>().ListAsync(request, ct))
            .WithCompleteHandler((request, ct) => request.Services!.GetRequiredService<SessionResourceDirectory>().CompleteAsync(request, ct));
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        app.MapMcpEndpoint("/mcp");
        return app;
    }
}
