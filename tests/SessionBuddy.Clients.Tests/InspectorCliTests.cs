using System.Text.Json;

namespace SessionBuddy.Clients.Tests;

/// <summary>MCP Inspector's command-line mode, as a user runs it against the endpoint (Streamable HTTP).</summary>
public sealed class InspectorCliTests
{
    [Test]
    public async Task ListsTools()
    {
        var tools = (await InspectAsync("--method", "tools/list")).GetProperty("tools").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()).ToList();

        Assert.That(tools, Is.SupersetOf(new[] { "get_liveness", "create_session", "search_reflections", "create_entity", "pool_execute" }));
    }

    [Test]
    public async Task CallsATool()
    {
        var result = await InspectAsync("--method", "tools/call", "--tool-name", "get_liveness");

        Assert.Multiple(() =>
        {
            Assert.That(result.TryGetProperty("isError", out var isError) && isError.GetBoolean(), Is.False);
            Assert.That(result.GetProperty("structuredContent").GetProperty("status").GetString(), Is.EqualTo("alive"));
        });
    }

    [Test]
    public async Task CallsAToolWithArguments()
    {
        var project = $"inspector-{Guid.NewGuid():N}";
        var created = await InspectAsync("--method", "tools/call", "--tool-name", "create_session",
            "--tool-arg", "name=made in Inspector", $"project={project}");

        var session = created.GetProperty("structuredContent");
        Assert.Multiple(() =>
        {
            Assert.That(session.GetProperty("name").GetString(), Is.EqualTo("made in Inspector"));
            Assert.That(session.GetProperty("project").GetString(), Is.EqualTo(project));
        });
    }

    /// <summary>
    /// mcp-inspector-cli --cli URL --transport http ARGS; its JSON answer. Inspector CLI 1.0.3 looks
    /// for its own package.json relative to the working directory, so it runs from its build folder.
    /// </summary>
    private static async Task<JsonElement> InspectAsync(params string[] args)
    {
        var build = Path.Combine(NodeClients.Package("@modelcontextprotocol/inspector-cli"), "build");
        var run = await NodeClients.RunAsync(NodeClients.Node,
            [Path.Combine(build, "cli.js"), "--cli", Suite.App.McpUri.ToString(), "--transport", "http", .. args], build, TimeSpan.FromMinutes(1));
        return run.Json();
    }
}
