using System.Text.Json;
using ModelContextProtocol.Client;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Clients.Tests;

/// <summary>
/// The official TypeScript MCP SDK client (the client inside Claude Code, MCP Inspector and most
/// editors) on SessionBuddy: it lists the tools, parsing them with its own schemas, and checks every
/// tool result against the tool's outputSchema; one journey per service. Run against one process of everything
/// and against two replicas of every service and of the gateway behind a balancer (the same answers expected).
/// </summary>
[TestFixture(1)]
[TestFixture(2)]
public sealed class TypeScriptSdkTests(int replicas)
{
    private DistributedAppFixture _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await Suite.WithReplicasAsync(replicas);

    [Test]
    public async Task ListsEveryToolTheServerOffers()
    {
        var listed = (await NodeClients.JourneyAsync("list-tools.mjs", _app.McpUri)).Json();

        await using var dotnetClient = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = _app.McpUri }));
        var expected = (await dotnetClient.ListToolsAsync()).Select(t => t.Name).Order().ToList();
        var tools = listed.GetProperty("tools").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(listed.GetProperty("server").GetProperty("name").GetString(), Is.EqualTo("SessionBuddy"));
            Assert.That(tools.Select(t => t.GetProperty("name").GetString()).Order(), Is.EqualTo(expected), "the TypeScript client sees the tools the .NET client sees");
            Assert.That(tools.Select(t => t.GetProperty("name").GetString()),
                Is.SupersetOf(new[] { "create_session", "add_message", "store_reflection", "search_reflections", "create_entity", "find_path", "pool_create", "pool_execute", "get_liveness" }));
            Assert.That(tools.Where(t => !t.GetProperty("has_description").GetBoolean()).Select(t => t.GetProperty("name").GetString()), Is.Empty, "tools without a description");
            Assert.That(tools.Where(t => !t.GetProperty("has_output_schema").GetBoolean()).Select(t => t.GetProperty("name").GetString()), Is.Empty, "tools without an outputSchema");
        });
    }

    [Test]
    public async Task SessionJourney_CreateTalkCheckpointEnd()
    {
        var run = (await NodeClients.JourneyAsync("sessions.mjs", _app.McpUri)).Json();

        var sessionId = run.GetProperty("session_id").GetString();
        var said = run.GetProperty("said").EnumerateArray().Select(m => (m[0].GetString(), m[1].GetString())).ToList();
        var messages = run.GetProperty("messages").GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        var checkpoint = run.GetProperty("checkpoint");
        var ended = run.GetProperty("ended");
        var handoff = ended.GetProperty("handoff_path").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(run.GetProperty("created").GetProperty("status").GetString(), Is.EqualTo("created"));
            Assert.That(messages, Is.EqualTo(said), "get_messages returns what add_message stored, in order");
            Assert.That(checkpoint.GetProperty("quality_score").GetInt32(), Is.InRange(0, 100));
            Assert.That(run.GetProperty("checkpoints").GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("id").GetString()),
                Does.Contain(checkpoint.GetProperty("id").GetString()));
            Assert.That(ended.GetProperty("session").GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(run.GetProperty("after").GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(File.Exists(handoff), Is.True, $"handoff document {handoff}");
            Assert.That(File.Exists(handoff) ? File.ReadAllText(handoff) : "", Does.Contain("add a readiness probe"), "the TODO of end's summary is an open item");
            var listed = run.GetProperty("listed").GetProperty("sessions").EnumerateArray().ToList();
            Assert.That(listed.Select(s => s.GetProperty("id").GetString()), Is.EqualTo(new[] { sessionId }));
            Assert.That(listed.Single().GetProperty("message_count").GetInt32(), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task MemoryJourney_StoredReflectionIsFoundAgain()
    {
        var run = (await NodeClients.JourneyAsync("memory-search.mjs", _app.McpUri)).Json();

        var id = run.GetProperty("stored").GetProperty("id").GetString();
        static string? Top(JsonElement search) => search.GetProperty("results").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } r
            ? r.GetProperty("id").GetString() : null;
        Assert.Multiple(() =>
        {
            Assert.That(run.GetProperty("stored").GetProperty("deduplicated").GetBoolean(), Is.False);
            Assert.That(run.GetProperty("again").GetProperty("id").GetString(), Is.EqualTo(id), "the same content stored again is the same reflection");
            Assert.That(run.GetProperty("again").GetProperty("deduplicated").GetBoolean(), Is.True);
            Assert.That(Top(run.GetProperty("hybrid")), Is.EqualTo(id), "hybrid search ranks it first");
            Assert.That(Top(run.GetProperty("keyword")), Is.EqualTo(id), "keyword search ranks it first");
            Assert.That(Top(run.GetProperty("quick")), Is.EqualTo(id), "quick_search ranks it first");
        });
    }

    [Test]
    public async Task KnowledgeGraphJourney_RelationsAndPath()
    {
        var run = (await NodeClients.JourneyAsync("knowledge-graph.mjs", _app.McpUri)).Json();

        var names = run.GetProperty("names");
        var (gateway, bus, memory) = (names.GetProperty("gateway").GetString(), names.GetProperty("bus").GetString(), names.GetProperty("memory").GetString());
        var outgoing = run.GetProperty("outgoing").GetProperty("relationships").EnumerateArray().ToList();
        var path = run.GetProperty("path");
        Assert.Multiple(() =>
        {
            Assert.That(outgoing.Select(r => (r.GetProperty("to_entity").GetString(), r.GetProperty("relation_type").GetString())),
                Is.EqualTo(new[] { (bus, "sends_requests_over") }));
            Assert.That(outgoing.Single().GetProperty("properties").GetProperty("protocol").GetString(), Is.EqualTo("amqp"));
            Assert.That(path.GetProperty("found").GetBoolean(), Is.True);
            Assert.That(path.GetProperty("entities").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { gateway, bus, memory }));
            Assert.That(run.GetProperty("found").GetProperty("entities").EnumerateArray().Select(e => e.GetProperty("name").GetString()),
                Is.EquivalentTo(new[] { gateway, bus, memory }));
        });
    }

    [Test]
    public async Task PoolJourney_WaitedRunReportsProgressAndOutput()
    {
        var run = (await NodeClients.JourneyAsync("pool-progress.mjs", _app.McpUri)).Json();

        var tasks = run.GetProperty("executed").GetProperty("tasks").EnumerateArray().ToList();
        var progress = run.GetProperty("progress").EnumerateArray().ToList();
        var values = progress.Select(p => p.GetProperty("progress").GetDouble()).ToList();
        var messages = progress.Select(p => p.TryGetProperty("message", out var m) ? m.GetString() : null).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(tasks.Select(t => t.GetProperty("status").GetString()), Is.EqualTo(new[] { "completed", "completed" }));
            Assert.That(tasks.Select(t => t.GetProperty("exit_code").GetInt32()), Is.EqualTo(new[] { 0, 0 }));
            Assert.That(tasks.Select(t => t.GetProperty("output").GetString()), Is.EqualTo(new[]
            {
                "string-task line 1\nstring-task line 2\nstring-task line 3",
                "object-task line 1\nobject-task line 2\nobject-task line 3",
            }), "each task's output, in the order the tasks were given");
            Assert.That(progress, Is.Not.Empty, "progress notifications for the call's progressToken");
            // MCP: "The progress value MUST increase with each notification."
            Assert.That(values.Zip(values.Skip(1)).Where(p => p.Second <= p.First), Is.Empty, $"progress values increase: {string.Join(", ", values)}");
            Assert.That(messages, Has.Some.Contains("task line"), "a task's output line reaches the caller as progress");
            Assert.That(run.GetProperty("shutdown").GetProperty("pool_id").GetString(), Is.EqualTo(run.GetProperty("pool").GetProperty("pool_id").GetString()));
        });
    }
}
