using ModelContextProtocol.Server;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Gateway.Analytics;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.Gateway.Messaging;
using SessionBuddy.Gateway.Progress;
using SessionBuddy.Gateway.Prompts;
using SessionBuddy.Gateway.Resources;
using SessionBuddy.Gateway.Security;
using SessionBuddy.Messaging;
using SessionBuddy.ServiceDefaults.Configuration;
using SessionBuddy.ServiceDefaults.Telemetry;

namespace SessionBuddy.Gateway.Extensions;

internal static partial class Extensions
{
    /// <summary>Every [McpServerToolType] class in this assembly (one per service area, in Tools/) is exposed.</summary>
    private static readonly Type[] ToolTypes =
        [.. typeof(Extensions).Assembly.GetTypes().Where(t => t.IsDefined(typeof(McpServerToolTypeAttribute), inherit: false))];

    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        // ASPNETCORE_URLS (set by the AppHost in a run) or HTTP_PORTS/HTTPS_PORTS (set by a published manifest: every
        // address) say where to listen; with none of them, Gateway:Port on loopback (so "Gateway" is read, and checked, now).
        var gateway = builder.Configuration.GetValidatedOptions<GatewayOptions>(GatewayOptions.SectionName);
        builder.Services.AddValidatedOptions<GatewayOptions>(GatewayOptions.SectionName);
        var listenUrls = ListenUrls(builder.Configuration).ToList();
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey])
            && string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.HttpPortsKey])
            && string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.HttpsPortsKey]))
        {
            var loopback = $"http://127.0.0.1:{gateway.Port}";
            builder.WebHost.UseUrls(loopback);
            listenUrls.Add(loopback);
        }
        builder.Services.AddGatewayAuthentication(builder.Configuration, listenUrls);
        builder.Services.AddGatewayRateLimits();
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
        builder.Services.AddMcpEndpoint(ToolTypes)
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

    /// <summary>
    /// Every address configuration makes the gateway listen on, as Kestrel reads it: the URLs (ASPNETCORE_URLS) or, when
    /// there are none, every address on each of HTTP_PORTS and HTTPS_PORTS; and any Kestrel endpoints.
    /// </summary>
    private static IEnumerable<string> ListenUrls(IConfiguration configuration)
    {
        static string[] Split(string? value) =>
            (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var urls = Split(configuration[WebHostDefaults.ServerUrlsKey]);
        var fromPorts = Split(configuration[WebHostDefaults.HttpPortsKey]).Select(port => $"http://*:{port}")
            .Concat(Split(configuration[WebHostDefaults.HttpsPortsKey]).Select(port => $"https://*:{port}"));
        return (urls.Length > 0 ? urls : fromPorts)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SessionBuddy gateway serving MCP at {Endpoints}; {Mode}")]
    private static partial void LogStarted(ILogger logger, string endpoints, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SessionBuddy gateway serving MCP at {Endpoints}; {Mode}")]
    private static partial void LogStartedOpen(ILogger logger, string endpoints, string mode);
}
