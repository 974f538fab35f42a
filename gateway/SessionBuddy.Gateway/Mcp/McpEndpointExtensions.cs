using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SessionBuddy.Gateway.Mcp;

public static class McpEndpointExtensions
{
    /// <summary>
    /// Registers the MCP server: its tools are the [McpServerTool] methods of the given
    /// [McpServerToolType] types (instance tools are activated from the request's services per
    /// call); settings come from configuration section "Mcp".
    /// </summary>
    public static IServiceCollection AddMcpEndpoint(this IServiceCollection services, IConfiguration configuration, params Type[] toolTypes)
    {
        services.AddOptions<McpEndpointOptions>()
            .Bind(configuration.GetSection(McpEndpointOptions.SectionName))
            .Validate(o => o.MaxSessions > 0 && o.MaxRequestBodyBytes > 0 && o.SessionIdleTimeout > TimeSpan.Zero,
                "Mcp: MaxSessions, MaxRequestBodyBytes and SessionIdleTimeout must be positive.")
            .ValidateOnStart();
        foreach (var type in toolTypes)
        {
            services.AddSingleton(new McpToolType(type));
        }

        services.TryAddSingleton<McpToolCatalog>();
        services.TryAddSingleton<HostValidation>();
        services.TryAddSingleton<StreamableHttpEndpoint>();
        if (!services.Any(d => d.ServiceType == typeof(McpSessionStore)))
        {
            services.AddSingleton<McpSessionStore>();
            services.AddHostedService(sp => sp.GetRequiredService<McpSessionStore>());
        }

        return services;
    }

    /// <summary>Maps the Streamable HTTP endpoint (POST, GET, DELETE) at <paramref name="pattern"/>.</summary>
    public static IEndpointConventionBuilder MapMcpEndpoint(this IEndpointRouteBuilder endpoints, string pattern = "/mcp")
    {
        var endpoint = endpoints.ServiceProvider.GetRequiredService<StreamableHttpEndpoint>();
        var group = endpoints.MapGroup(pattern);
        group.MapPost("", endpoint.HandlePostAsync);
        group.MapGet("", endpoint.HandleGetAsync);
        group.MapDelete("", endpoint.HandleDeleteAsync);
        return group;
    }
}
