using ModelContextProtocol.Server;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Gateway.Analytics;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.Gateway.Messaging;
using SessionBuddy.Gateway.Progress;
using SessionBuddy.Gateway.Prompts;
using SessionBuddy.Gateway.Resources;
using SessionBuddy.Gateway.Security;
using SessionBuddy.ServiceDefaults.Messaging;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Gateway.Extensions;

internal static partial class Extensions
{
    public const int DefaultPort = 8678;

    /// <summary>Every [McpServerToolType] class in this assembly (one per service area, in Tools/) is exposed.</summary>
    private static readonly Type[] ToolTypes =
        [.. typeof(Extensions).Assembly.GetTypes().Where(t => t.IsDefined(typeof(McpServerToolTypeAttribute), inherit: false))];

    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        // ASPNETCORE_URLS (set by the AppHost or a deployment) wins; otherwise Gateway:Port on loopback.
        var urls = builder.Configuration["urls"];
        if (string.IsNullOrEmpty(urls))
        {
            urls = $"http://127.0.0.1:{builder.Configuration.GetValue("Gateway:Port", DefaultPort)}";
            builder.WebHost.UseUrls(urls);
        }
        builder.Services.AddGatewayAuthentication(builder.Configuration, ListenUrls(urls, builder.Configuration));
        builder.Services.AddGatewayRateLimits(builder.Configuration);

        builder.Services.Configure<GatewayOptions>(builder.Configuration.GetSection(GatewayOptions.SectionName));
        builder.Services.AddSingleton<ServiceRequests>();
        builder.Services.AddSingleton<TaskCompletionWatch>();
        builder.Services.AddSingleton<TaskEventHub>();
        builder.Services.AddSingleton<ToolCallTimings>();
        builder.Services.AddHostedService<ToolCallReporter>();
        builder.Services.AddUntracedMessage<ToolCallsTimed>(); // a timing report every few seconds, not a traced call
        // Every gateway process hears every task event, on a queue of its own that goes away with it.
        builder.AddServiceBus(serviceName: null, bus => bus.AddConsumer<TaskEventsConsumer>()
            .Endpoint(e => { e.Temporary = true; e.InstanceId = Guid.NewGuid().ToString("N")[..12]; }), reliableSends: false);
        builder.Services.AddSingleton<SessionResources>();
        builder.Services.AddSingleton<SessionResourceDirectory>();
        builder.Services.AddMcpEndpoint(builder.Configuration, ToolTypes)
            .WithResources<SessionResources>()
            .WithPrompts<SessionPrompts>()
            .WithListResourcesHandler((request, ct) => request.Services!.GetRequiredService<SessionResourceDirectory>().ListAsync(request, ct))
            .WithCompleteHandler((request, ct) => request.Services!.GetRequiredService<SessionResourceDirectory>().CompleteAsync(request, ct))
            .AddToolAuthorization(GatewayToolRules.All, ToolTypes);
        builder.Services.AddSingleton<ISessionProjects, SessionProjects>();
        builder.AddAuditTrail();
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        var auth = app.Services.GetRequiredService<AuthOptions>();
        app.RequireGatewayAuthentication(app.MapMcpEndpoint("/mcp"));
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var endpoints = string.Join(", ", app.Urls.Select(url => url.TrimEnd('/') + "/mcp"));
            if (auth.IsConfigured)
            {
                LogStarted(app.Logger, endpoints, GatewayAuthentication.DescribeMode(auth));
            }
            else
            {
                LogStartedOpen(app.Logger, endpoints, GatewayAuthentication.DescribeMode(auth));
            }
        });
        return app;
    }

    /// <summary>Every address the gateway will listen on: the URLs and any Kestrel endpoints configured.</summary>
    private static IEnumerable<string> ListenUrls(string urls, IConfiguration configuration) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());

    [LoggerMessage(Level = LogLevel.Information, Message = "SessionBuddy gateway serving MCP at {Endpoints}; {Mode}")]
    private static partial void LogStarted(ILogger logger, string endpoints, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SessionBuddy gateway serving MCP at {Endpoints}; {Mode}")]
    private static partial void LogStartedOpen(ILogger logger, string endpoints, string mode);
}
