using System.Reflection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using SessionBuddy.Gateway.Mcp;
using SessionBuddy.ServiceDefaults.Configuration;

namespace SessionBuddy.Gateway.Security;

public static class ToolSecurityExtensions
{
    /// <summary>
    /// Classifies the server's tools with <paramref name="rules"/> (every [McpServerTool] of
    /// <paramref name="toolTypes"/> must have one), enables those the "Tools" profile or allow-list
    /// selects (the others are neither listed nor callable), and authorizes each call per tool.
    /// </summary>
    public static IMcpServerBuilder AddToolAuthorization(this IMcpServerBuilder mcp, IReadOnlyDictionary<string, ToolRule> rules, params Type[] toolTypes)
    {
        string[] names = [.. toolTypes.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance))
            .SelectMany(ToolSchemas.ToolNames)];
        var unclassified = names.Where(name => !rules.ContainsKey(name)).ToList();
        if (unclassified.Count > 0)
        {
            throw new InvalidOperationException($"Tools without a security rule (add them to the rule table): {string.Join(", ", unclassified)}.");
        }

        mcp.Services.AddSingleton(new ToolRuleTable(rules));
        mcp.Services.AddValidatedOptions<ToolSelectionOptions>(ToolSelectionOptions.SectionName);
        mcp.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ToolSelectionOptions>>(new ToolSelectionValidation(rules));
        mcp.Services.AddSingleton(provider => EnabledTools.From(
            provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ToolSelectionOptions>>().Value, rules));
        return mcp.WithRequestFilters(filters =>
        {
            filters.AddListToolsFilter(next => ToolAuthorization.ListFilter(EnabledTools.ListFilter(next)));
            filters.AddCallToolFilter(next => EnabledTools.CallFilter(ToolCallAudit.Filter(ToolAuthorization.CallFilter(WorkerCallLimit.Filter(next)))));
            filters.AddContentAuthorization();
        });
    }
}

/// <summary>Start-up stops when Tools:Allow names a tool that does not exist (a typo would otherwise disable it silently).</summary>
internal sealed class ToolSelectionValidation(IReadOnlyDictionary<string, ToolRule> rules) : Microsoft.Extensions.Options.IValidateOptions<ToolSelectionOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, ToolSelectionOptions options)
    {
        var unknown = options.Allow.Where(tool => !rules.ContainsKey(tool)).ToList();
        return unknown.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                $"{ToolSelectionOptions.SectionName}:{nameof(ToolSelectionOptions.Allow)}: names tools that do not exist: {string.Join(", ", unknown)}.");
    }
}

/// <summary>The tools this deployment offers at all, whoever calls.</summary>
public sealed class EnabledTools(IReadOnlySet<string> names)
{
    public bool Contains(string name) => names.Contains(name);

    public static EnabledTools From(ToolSelectionOptions selection, IReadOnlyDictionary<string, ToolRule> rules) =>
        new(selection.Allow.Length > 0
            ? selection.Allow.ToHashSet(StringComparer.Ordinal)
            : rules.Where(r => r.Value.Profile <= selection.Profile).Select(r => r.Key).ToHashSet(StringComparer.Ordinal));

    public static McpRequestHandler<ListToolsRequestParams, ListToolsResult> ListFilter(
        McpRequestHandler<ListToolsRequestParams, ListToolsResult> next) => async (request, cancellationToken) =>
    {
        var result = await next(request, cancellationToken);
        var enabled = request.Services!.GetRequiredService<EnabledTools>();
        result.Tools = [.. result.Tools.Where(tool => enabled.Contains(tool.Name))];
        return result;
    };

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> CallFilter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next) => (request, cancellationToken) =>
        request.Params is { } call && !request.Services!.GetRequiredService<EnabledTools>().Contains(call.Name)
            // The SDK's own answer for a tool that does not exist: a disabled tool is indistinguishable.
            ? throw new McpProtocolException($"Unknown tool: '{call.Name}'", McpErrorCode.InvalidParams)
            : next(request, cancellationToken);
}
