using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SessionBuddy.Gateway.Mcp;

/// <summary>A [McpServerToolType] class whose [McpServerTool] methods the endpoint serves.</summary>
internal sealed record McpToolType(Type Type);

/// <summary>
/// The tools, built once from the registered tool types, and the options every MCP server
/// (one per session, or one per stateless request) is created with.
/// </summary>
internal sealed class McpToolCatalog
{
    /// <summary>
    /// Wire names are snake_case both ways. Results: this naming policy makes SessionId serialize
    /// as session_id in structuredContent, its text rendering and the output schema. Arguments:
    /// the SDK names arguments after C# parameters, so <see cref="SnakeCaseArguments"/> renames the
    /// input schema and maps incoming names back; tools may write sessionId or session_id alike.
    /// </summary>
    public static readonly JsonSerializerOptions SerializerOptions = new(McpJsonUtilities.DefaultOptions)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly McpServerTool[] _tools;
    private readonly SnakeCaseArguments _arguments;
    private readonly McpEndpointOptions _settings;
    private readonly string _serverVersion;

    public McpToolCatalog(IServiceProvider services, IEnumerable<McpToolType> toolTypes,
        IOptions<McpEndpointOptions> options, ILogger<McpToolCatalog> logger)
    {
        _settings = options.Value;
        _serverVersion = _settings.ServerVersion
            ?? typeof(McpToolCatalog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? "0.0.0";
        _tools = [.. toolTypes.Select(t => t.Type).Distinct().SelectMany(type => CreateTools(type, services))];
        _arguments = new SnakeCaseArguments(_tools, logger);
        StatelessServerOptions = CreateServerOptions();
        StatelessServerOptions.ScopeRequests = false; // the HTTP request's own scope serves its single call
    }

    public IReadOnlyList<McpServerTool> Tools => _tools;

    /// <summary>
    /// One set of options shared by every stateless request's server: a stateless server neither changes
    /// its options nor subscribes to its tool collection, so building the collection per request is waste.
    /// </summary>
    public McpServerOptions StatelessServerOptions { get; }

    public McpServerOptions CreateServerOptions()
    {
        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = _settings.ServerName, Version = _serverVersion },
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = false } },
            ToolCollection = [.. _tools],
        };
        options.Filters.Request.CallToolFilters.Add(Telemetry.ToolCallTelemetry.Filter);
        options.Filters.Request.CallToolFilters.Add(_arguments.Filter);
        return options;
    }

    private static IEnumerable<McpServerTool> CreateTools(Type type, IServiceProvider services)
    {
        if (type.GetCustomAttribute<McpServerToolTypeAttribute>() is null)
        {
            throw new ArgumentException($"{type.Name} is not marked [McpServerToolType].", nameof(type));
        }

        var methods = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<McpServerToolAttribute>() is not null);
        // Instance tools are activated per call from the request's (scoped) services, by a factory
        // built once per type rather than by constructor lookup on every call.
        var activate = ActivatorUtilities.CreateFactory(type, Type.EmptyTypes);
        foreach (var method in methods)
        {
            var createOptions = new McpServerToolCreateOptions { Services = services, SerializerOptions = SerializerOptions };
            yield return method.IsStatic
                ? McpServerTool.Create(method, options: createOptions)
                : McpServerTool.Create(method, request => activate(request.Services!, null), createOptions);
        }
    }
}
