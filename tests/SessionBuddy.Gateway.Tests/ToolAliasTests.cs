using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using SessionBuddy.Gateway.Security;
using SessionBuddy.Gateway.Tools;

namespace SessionBuddy.Gateway.Tests;

/// <summary>
/// quick_search is a [ToolAlias] of search_reflections: clients see two tools with the same arguments, each
/// with its own name and description, and start-up requires a security rule for the alias as for any tool.
/// </summary>
[TestFixture]
public sealed class ToolAliasTests
{
    [Test]
    public async Task TheAliasIsListedWithTheArgumentsAndAnnotationsOfItsToolAndItsOwnDescription()
    {
        await using var host = await McpTestHost.StartAsync(toolType: typeof(MemoryTools));
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = host.Endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
        }));

        var tools = (await client.ListToolsAsync()).Select(t => t.ProtocolTool).ToList();
        var names = tools.Select(t => t.Name).ToList();
        Assert.That(names, Is.Unique);
        Assert.That(names.IndexOf("quick_search"), Is.EqualTo(names.IndexOf("search_reflections") + 1), "listed right after the tool it aliases");
        var tool = tools.Single(t => t.Name == "search_reflections");
        var alias = tools.Single(t => t.Name == "quick_search");
        Assert.That(alias.Description, Is.EqualTo("Alias of search_reflections."));
        Assert.That(tool.Description, Does.StartWith("Search reflections with whole sentences"));
        Assert.That(JsonSerializer.Serialize(alias.InputSchema), Is.EqualTo(JsonSerializer.Serialize(tool.InputSchema)));
        Assert.That(JsonSerializer.Serialize(alias.OutputSchema), Is.EqualTo(JsonSerializer.Serialize(tool.OutputSchema)));
        Assert.That(alias.Annotations?.ReadOnlyHint, Is.True);
        Assert.That(alias.InputSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name),
            Is.EqualTo(new[] { "query", "limit", "min_score", "project", "tags", "tags_match", "since", "until", "session_id", "mode" }));
    }

    [Test]
    public void AnAliasWithoutASecurityRuleStopsStartUp()
    {
        Assert.DoesNotThrow(() => new ServiceCollection().AddMcpServer().AddToolAuthorization(GatewayToolRules.All, typeof(MemoryTools)));

        var withoutAlias = GatewayToolRules.All.Where(r => r.Key != "quick_search").ToDictionary();
        var refusal = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddMcpServer()
            .AddToolAuthorization(withoutAlias, typeof(MemoryTools)));
        Assert.That(refusal!.Message, Does.EndWith("add them to the rule table): quick_search."));
    }
}
