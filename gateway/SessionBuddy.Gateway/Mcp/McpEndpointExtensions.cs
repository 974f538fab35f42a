using System.Reflection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Protocol;
using SessionBuddy.Gateway.Telemetry;
using SessionBuddy.ServiceDefaults.Configuration;

namespace SessionBuddy.Gateway.Mcp;

public static class McpEndpointExtensions
{
    /// <summary>
    /// Registers the MCP server on the SDK's Streamable HTTP transport: its tools are the [McpServerTool]
    /// methods of the given [McpServerToolType] types, presented in snake_case with strict-client-safe
    /// schemas (<see cref="ToolSchemas"/>); arguments are checked against those schemas before a tool runs
    /// (<see cref="GatewayTool"/>). Settings come from configuration section "Mcp".
    /// </summary>
    public static IMcpServerBuilder AddMcpEndpoint(this IServiceCollection services, params Type[] toolTypes)
    {
        services.AddValidatedOptions<McpEndpointOptions>(McpEndpointOptions.SectionName);
        services.AddSingleton<HostValidation>();
        services.AddHttpContextAccessor(); // GatewayTool cancels a call whose caller went away
        // Stateless requests (2026-07-28 clients) build fresh McpServerOptions from these configure steps on every
        // request, so each step only assigns what was built once: the server info and the tool collection.
        services.AddSingleton(provider =>
        {
            var endpoint = provider.GetRequiredService<IOptions<McpEndpointOptions>>().Value;
            return new GatewayServerDefinition(
                new Implementation { Name = endpoint.ServerName, Version = ServerVersion(endpoint) },
                toolTypes.Distinct().SelectMany(type => ToolMethods(type).SelectMany(method => ToolSchemas.CreateTools(type, method, provider))));
        });
        services.AddOptions<McpServerOptions>().Configure<GatewayServerDefinition>((server, definition) =>
        {
            server.ServerInfo = definition.ServerInfo;
            server.ToolCollection = definition.Tools;
        });
        services.AddOptions<HttpServerTransportOptions>().Configure<IOptions<McpEndpointOptions>>((transport, endpoint) =>
        {
            // Clients of 2026-07-28 and later are served per request (any replica can answer them); clients
            // using the initialize handshake get a session held in this process (route them by Mcp-Session-Id).
            transport.SessionMode = HttpServerSessionMode.StatefulForInitializeClients;
#pragma warning disable MCP9006 // the session settings only concern initialize-handshake clients, which we still serve
            transport.IdleTimeout = endpoint.Value.SessionIdleTimeout;
            transport.MaxIdleSessionCount = endpoint.Value.MaxSessions;
#pragma warning restore MCP9006
        });

        return services.AddMcpServer()
            .WithHttpTransport()
            .WithRequestFilters(filters => filters.AddCallToolFilter(ToolCallTelemetry.Filter));
    }

    /// <summary>Maps the Streamable HTTP endpoint (POST, GET, DELETE) at <paramref name="pattern"/> behind <see cref="McpRequestGuard"/>.</summary>
    public static IEndpointConventionBuilder MapMcpEndpoint(this WebApplication app, string pattern = "/mcp")
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(pattern), branch => branch.UseMiddleware<McpRequestGuard>());
        return app.MapMcp(pattern);
    }

    private static IEnumerable<MethodInfo> ToolMethods(Type type) =>
        type.GetCustomAttribute<McpServerToolTypeAttribute>() is null
            ? throw new ArgumentException($"{type.Name} is not marked [McpServerToolType].", nameof(type))
            : type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance)
                .Where(m => m.GetCustomAttribute<McpServerToolAttribute>() is not null);

    private static string ServerVersion(McpEndpointOptions settings) =>
        settings.ServerVersion
        ?? typeof(McpEndpointExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "0.0.0";
}

/// <summary>
/// The server info and every tool of the gateway, built once and shared by all MCP servers of this process: for
/// each stateless request the SDK builds new options, and would otherwise copy every registered tool into a new
/// collection and read the assembly's version attribute again.
/// </summary>
public sealed class GatewayServerDefinition(Implementation serverInfo, IEnumerable<McpServerTool> tools)
{
    public Implementation ServerInfo { get; } = serverInfo;

    public McpServerPrimitiveCollection<McpServerTool> Tools { get; } = [.. tools];
}
