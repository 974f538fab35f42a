using System.Text.Json;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Clients.Tests;

/// <summary>
/// Every tool's schemas and results as strict clients check them: the TypeScript SDK's parsing of
/// tools/list, JSON Schema 2020-12 (Ajv, strict) for each inputSchema and outputSchema, and one
/// structured result per tool validated against its outputSchema. Run against one process of everything and against
/// two replicas of every service and of the gateway behind a balancer (every tool must work whichever replica answers).
/// </summary>
[TestFixture(1)]
[TestFixture(2)]
public sealed class ToolSchemaTests(int replicas)
{
    private DistributedAppFixture _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await Suite.WithReplicasAsync(replicas);

    [Test]
    public async Task EveryToolSchemaIsStrictJsonSchema2020_12()
    {
        var run = (await NodeClients.JourneyAsync("tool-schemas.mjs", _app.McpUri)).Json();

        var problems = Problems(run);
        Assert.Multiple(() =>
        {
            Assert.That(run.GetProperty("tools").GetArrayLength(), Is.GreaterThan(0));
            Assert.That(problems, Is.Empty, string.Join(Environment.NewLine, problems));
            Assert.That(run.GetProperty("list_parses").GetBoolean(), Is.True, "the TypeScript SDK parses the whole tools/list result");
        });
    }

    [Test]
    public async Task EveryToolReturnsAResultMatchingItsOutputSchema()
    {
        var run = (await NodeClients.JourneyAsync("every-tool.mjs", _app.McpUri, TimeSpan.FromMinutes(5))).Json();

        var listed = run.GetProperty("listed").EnumerateArray().Select(t => t.GetString()).ToList();
        var called = run.GetProperty("tools").EnumerateArray().Where(t => t.GetProperty("called").GetBoolean()).Select(t => t.GetProperty("name").GetString());
        var problems = Problems(run);
        Assert.Multiple(() =>
        {
            Assert.That(problems, Is.Empty, string.Join(Environment.NewLine, problems));
            Assert.That(called, Is.EquivalentTo(listed), "every listed tool was called once");
        });
    }

    /// <summary>"tool: problem" for every problem the script reported.</summary>
    private static List<string> Problems(JsonElement run) =>
        [.. run.GetProperty("tools").EnumerateArray().SelectMany(t =>
            t.GetProperty("problems").EnumerateArray().Select(p => $"{t.GetProperty("name").GetString()}: {p.GetString()}"))];
}
