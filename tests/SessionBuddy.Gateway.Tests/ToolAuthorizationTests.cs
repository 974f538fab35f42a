using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SessionBuddy.Gateway.Security;

namespace SessionBuddy.Gateway.Tests;

/// <summary>Scopes, project limits and tool profiles, through the real .NET MCP client.</summary>
[TestFixture]
[CancelAfter(30_000)]
public sealed class ToolAuthorizationTests
{
    private static async Task<McpClient> ConnectAsync(McpTestHost host, string? token) =>
        await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = host.Endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = token is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }));

    private static async Task<string[]> ToolNamesAsync(McpClient client) =>
        [.. (await client.ListToolsAsync()).Select(t => t.Name).Order()];

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    private static Dictionary<string, object?> Args(params (string Name, object? Value)[] arguments) =>
        arguments.ToDictionary(a => a.Name, a => a.Value);

    [Test]
    public async Task ReadOnlyTokenSeesAndCallsOnlyReadToolsAndADeniedCallNamesTheScope()
    {
        await using var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings());
        await using var client = await ConnectAsync(host, TestTokens.Valid("read"));

        Assert.That(await ToolNamesAsync(client), Is.EqualTo(new[] { "ping", "read_notes" }));

        var denied = await client.CallToolAsync("write_note", Args(("text", "hello")));
        Assert.That(denied.IsError, Is.True);
        Assert.That(Text(denied), Is.EqualTo("Forbidden: write_note needs the 'write' scope; this token has: read."));
        var purge = await client.CallToolAsync("purge_notes");
        Assert.That(Text(purge), Does.Contain("needs the 'admin' scope"));
        Assert.That(host.Notes.Written, Is.Empty, "a refused call must change nothing");

        var read = await client.CallToolAsync("read_notes");
        Assert.That(read.IsError, Is.Not.True, Text(read));
    }

    [Test]
    public async Task ScopesAddUpAndRolesCountAsScopes()
    {
        await using var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings());
        await using var client = await ConnectAsync(host, TestTokens.Valid("read,write,execute,admin"));

        Assert.That(await ToolNamesAsync(client), Is.EqualTo(new[] { "ping", "purge_notes", "read_notes", "run_command", "write_note" }));
        var written = await client.CallToolAsync("write_note", Args(("text", "hello"), ("project", "p1")));
        Assert.That(written.IsError, Is.Not.True, Text(written));
        Assert.That(host.Notes.Written, Is.EqualTo(new[] { "p1:hello" }));
    }

    [Test]
    public async Task ProjectLimitedTokenIsConfinedToItsProject()
    {
        await using var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings());
        await using var client = await ConnectAsync(host, TestTokens.Valid("read,write,execute,admin", "p1"));

        // Tools spanning every project are neither listed nor callable for a limited token.
        Assert.That(await ToolNamesAsync(client), Is.EqualTo(new[] { "ping", "read_notes", "write_note" }));
        var command = await client.CallToolAsync("run_command", Args(("command", "ls")));
        Assert.That(Text(command), Is.EqualTo("Forbidden: run_command reads or changes data of every project; this token is limited to p1."));

        // Without a project the token's own is filled in; another project is refused.
        var read = await client.CallToolAsync("read_notes");
        Assert.That(read.StructuredContent?.GetProperty("project").GetString(), Is.EqualTo("p1"));
        var other = await client.CallToolAsync("write_note", Args(("text", "x"), ("project", "p2")));
        Assert.That(Text(other), Is.EqualTo("project: this token is limited to p1."));
        var written = await client.CallToolAsync("write_note", Args(("text", "y")));
        Assert.That(written.IsError, Is.Not.True, Text(written));
        Assert.That(host.Notes.Written, Is.EqualTo(new[] { "p1:y" }));
        Assert.That(host.Notes.ReadProjects, Is.EqualTo(new[] { "p1" }));
    }

    [Test]
    public async Task TokenForSeveralProjectsMustNameOne()
    {
        await using var host = await McpTestHost.StartSecuredAsync(TestTokens.Settings());
        await using var client = await ConnectAsync(host, TestTokens.Valid("read", "p1", "p2"));

        var unnamed = await client.CallToolAsync("read_notes");
        Assert.That(Text(unnamed), Is.EqualTo("project: required with this token; it is limited to p1, p2."));
        var named = await client.CallToolAsync("read_notes", Args(("project", "p2")));
        Assert.That(named.StructuredContent?.GetProperty("project").GetString(), Is.EqualTo("p2"));
    }

    [TestCase("minimal", new[] { "ping", "read_notes" })]
    [TestCase("standard", new[] { "ping", "read_notes", "write_note" })]
    [TestCase("full", new[] { "ping", "purge_notes", "read_notes", "run_command", "write_note" })]
    public async Task ProfileSelectsTheToolsEvenWithoutAuthentication(string profile, string[] expected)
    {
        await using var host = await McpTestHost.StartSecuredAsync(new() { ["Tools:Profile"] = profile });
        await using var client = await ConnectAsync(host, token: null);

        Assert.That(await ToolNamesAsync(client), Is.EqualTo(expected));
        if (!expected.Contains("purge_notes"))
        {
            var refusal = Assert.ThrowsAsync<McpProtocolException>(async () => await client.CallToolAsync("purge_notes"));
            Assert.That(refusal!.Message, Does.Contain("Unknown tool: 'purge_notes'"));
        }
    }

    [Test]
    public async Task AllowListOverridesTheProfile()
    {
        await using var host = await McpTestHost.StartSecuredAsync(new() { ["Tools:Profile"] = "full", ["Tools:Allow:0"] = "ping", ["Tools:Allow:1"] = "write_note" });
        await using var client = await ConnectAsync(host, token: null);

        Assert.That(await ToolNamesAsync(client), Is.EqualTo(new[] { "ping", "write_note" }));
        Assert.ThrowsAsync<McpProtocolException>(async () => await client.CallToolAsync("read_notes"));
    }

    [Test]
    public void AnUnknownToolInTheAllowListStopsStartUp()
    {
        var refusal = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
            await McpTestHost.StartSecuredAsync(new() { ["Tools:Allow:0"] = "ping", ["Tools:Allow:1"] = "wirte_note" }));
        Assert.That(refusal!.Message, Is.EqualTo("Tools:Allow: names tools that do not exist: wirte_note."));
    }

    [Test]
    public void EveryGatewayToolHasARuleAndAnUnclassifiedToolStopsStartUp()
    {
        var gatewayToolTypes = typeof(GatewayToolRules).Assembly.GetTypes()
            .Where(t => t.IsDefined(typeof(ModelContextProtocol.Server.McpServerToolTypeAttribute), inherit: false)).ToArray();
        Assert.That(gatewayToolTypes, Has.Length.GreaterThan(5));
        Assert.DoesNotThrow(() => new ServiceCollection().AddMcpServer()
            .AddToolAuthorization(GatewayToolRules.All, gatewayToolTypes));

        var withoutOne = GatewayToolRules.All.Where(r => r.Key != "worker_execute").ToDictionary();
        var refusal = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddMcpServer()
            .AddToolAuthorization(withoutOne, gatewayToolTypes));
        Assert.That(refusal!.Message, Does.Contain("worker_execute"));
    }

    /// <summary>The gateway's scope table where the issue names it: workers, pools and session file writes need execute; deletion,
    /// clean-up, backend registration, dead-letter replay and re-embedding need admin.</summary>
    [TestCase("worker_execute", ToolScope.Execute)]
    [TestCase("pool_execute", ToolScope.Execute)]
    [TestCase("session_write_file", ToolScope.Execute)]
    [TestCase("delete_session", ToolScope.Admin)]
    [TestCase("cleanup_sessions", ToolScope.Admin)]
    [TestCase("register_workspace_backend", ToolScope.Admin)]
    [TestCase("akosha_replay", ToolScope.Admin)]
    [TestCase("reembed_memories", ToolScope.Admin)]
    [TestCase("get_audit_log", ToolScope.Admin)]
    [TestCase("get_session", ToolScope.Read)]
    [TestCase("search_reflections", ToolScope.Read)]
    [TestCase("add_message", ToolScope.Write)]
    [TestCase("store_reflection", ToolScope.Write)]
    public void GatewayToolNeedsItsScope(string tool, ToolScope scope)
    {
        Assert.That(GatewayToolRules.All, Does.ContainKey(tool));
        Assert.That(GatewayToolRules.All[tool].Scope, Is.EqualTo(scope));
    }
}
