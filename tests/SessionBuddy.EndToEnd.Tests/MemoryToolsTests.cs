using System.Text.Json;
using Npgsql;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// Reflection and memory tools through MCP → gateway → RabbitMQ → Memory service → PostgreSQL: success,
/// every error case (the error names the argument and nothing is stored), project isolation and dedup.
/// </summary>
[TestFixture]
public sealed class MemoryToolsTests
{
    private ToolClient _tools = null!;

    [OneTimeSetUp]
    public async Task Connect() => _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);

    [OneTimeTearDown]
    public async Task Disconnect() => await _tools.DisposeAsync();

    internal static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    internal static async Task<long> CountAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Suite.App.GetConnectionString("memorydb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static Task<long> RowsAsync() => CountAsync("SELECT count(*) FROM reflections");

    private static IEnumerable<string> Ids(JsonElement results, string property = "results") =>
        results.GetProperty(property).EnumerateArray().Select(r => r.GetProperty("id").GetString()!);

    [Test]
    public async Task StoredReflectionIsFoundByItsIdInEveryModeAndStoredOnce()
    {
        var project = Unique("rt");
        var content = "The outbox dispatcher retries failed publishes with exponential backoff " + project;
        var stored = await _tools.CallOkAsync("store_reflection", new { content, tags = new[] { "bus", "outbox" }, project, metadata = new { source = "e2e" } });
        var id = stored.GetProperty("id").GetString()!;
        Assert.That(stored.GetProperty("deduplicated").GetBoolean(), Is.False);

        foreach (var mode in new[] { "hybrid", "semantic", "keyword" })
        {
            var found = await _tools.CallOkAsync("search_reflections", new { query = "outbox dispatcher retries publishes", project, mode });
            Assert.That(Ids(found).First(), Is.EqualTo(id), mode);
            Assert.That(found.GetProperty("mode").GetString(), Is.EqualTo(mode));
        }
        var quick = await _tools.CallOkAsync("quick_search", new { query = "exponential backoff", project, tags = new[] { "outbox" } });
        Assert.That(Ids(quick), Is.EqualTo(new[] { id }));

        var again = await _tools.CallOkAsync("store_reflection", new { content, project });
        Assert.That(again.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(again.GetProperty("deduplicated").GetBoolean(), Is.True);

        var stats = await _tools.CallOkAsync("get_reflection_stats", new { project });
        Assert.That(stats.GetProperty("total_reflections").GetInt64(), Is.EqualTo(1));
        Assert.That(stats.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "bus", "outbox" }));

        var deleted = await _tools.CallOkAsync("delete_reflection", new { id });
        Assert.That(deleted.GetProperty("deleted").GetBoolean(), Is.True);
        var gone = await _tools.CallOkAsync("search_reflections", new { query = "outbox dispatcher retries publishes", project });
        Assert.That(gone.GetProperty("results").GetArrayLength(), Is.EqualTo(0));
    }

    [Test]
    public async Task TwentyConcurrentIdenticalStoresThroughMcpKeepOneRow()
    {
        var project = Unique("dedup");
        var content = "Always dispose the NpgsqlDataSource at shutdown " + project;
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ToolClient.ConnectAsync(Suite.App.McpUri)));
        try
        {
            var results = await Task.WhenAll(clients.Select(c => c.CallOkAsync("store_reflection", new { content, project })));
            Assert.That(results.Select(r => r.GetProperty("id").GetString()).Distinct().Count(), Is.EqualTo(1));
            Assert.That(results.Count(r => !r.GetProperty("deduplicated").GetBoolean()), Is.EqualTo(1));
            Assert.That(await CountAsync("SELECT count(*) FROM reflections WHERE project = @p", ("p", project)), Is.EqualTo(1));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task ProjectScopedSearchesNeverSeeAnotherProjectInAnyMode()
    {
        var mine = Unique("iso-a");
        var theirs = Unique("iso-b");
        const string text = "Flaky integration test caused by a shared RabbitMQ vhost";
        await _tools.CallOkAsync("store_reflection", new { content = text, project = mine });
        await _tools.CallOkAsync("store_reflection", new { content = text, project = theirs });
        await _tools.CallOkAsync("store_memory", new { content = text, category = "error", project = theirs });

        foreach (var mode in new[] { "hybrid", "semantic", "keyword" })
        {
            var reflections = await _tools.CallOkAsync("search_reflections", new { query = "flaky integration test rabbitmq vhost", project = mine, mode });
            var memories = await _tools.CallOkAsync("search_memories", new { query = "flaky integration test rabbitmq vhost", project = mine, mode });
            Assert.Multiple(() =>
            {
                Assert.That(reflections.GetProperty("results").GetArrayLength(), Is.EqualTo(1), mode);
                Assert.That(reflections.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("project").GetString()), Is.All.EqualTo(mine), mode);
                Assert.That(memories.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("project").GetString()), Is.All.EqualTo(mine), mode);
            });
        }
    }

    [Test]
    public async Task MemoriesAreFilteredByCategoryAndMetadataAndDeduplicatedPerCategory()
    {
        var project = Unique("mem");
        var decision = await _tools.CallOkAsync("store_memory", new
        {
            content = "We chose PostgreSQL advisory locks to serialise migrations across replicas",
            category = "decision",
            metadata = new { area = "database", owner = "platform" },
            project,
        });
        var fact = await _tools.CallOkAsync("store_memory", new
        {
            content = "PostgreSQL advisory locks are released when the session ends",
            category = "fact",
            metadata = new { area = "database" },
            project,
        });
        Assert.That(decision.GetProperty("category").GetString(), Is.EqualTo("decision"));
        var again = await _tools.CallOkAsync("store_memory", new
        {
            content = "We chose PostgreSQL advisory locks to serialise migrations across replicas", category = "decision", project,
        });
        Assert.That(again.GetProperty("id").GetString(), Is.EqualTo(decision.GetProperty("id").GetString()));
        Assert.That(again.GetProperty("deduplicated").GetBoolean(), Is.True);

        var all = await _tools.CallOkAsync("search_memories", new { query = "postgresql advisory locks", project });
        Assert.That(Ids(all), Is.EquivalentTo(new[] { decision.GetProperty("id").GetString(), fact.GetProperty("id").GetString() }));

        var decisions = await _tools.CallOkAsync("search_memories", new { query = "postgresql advisory locks", category = "decision", project });
        Assert.That(Ids(decisions), Is.EqualTo(new[] { decision.GetProperty("id").GetString() }));
        var hit = decisions.GetProperty("results")[0];
        Assert.That(hit.GetProperty("category").GetString(), Is.EqualTo("decision"));
        Assert.That(hit.GetProperty("metadata").GetProperty("owner").GetString(), Is.EqualTo("platform"));

        var byOwner = await _tools.CallOkAsync("search_memories", new { query = "postgresql advisory locks", metadata = new { owner = "platform" }, project });
        Assert.That(Ids(byOwner), Is.EqualTo(new[] { decision.GetProperty("id").GetString() }));
        var none = await _tools.CallOkAsync("search_memories", new { query = "postgresql advisory locks", metadata = new { area = "frontend" }, project });
        Assert.That(none.GetProperty("results").GetArrayLength(), Is.EqualTo(0));

        // Memories are not reflections: reflection search and stats leave them out.
        var reflections = await _tools.CallOkAsync("search_reflections", new { query = "postgresql advisory locks", project });
        Assert.That(reflections.GetProperty("results").GetArrayLength(), Is.EqualTo(0));
        var stats = await _tools.CallOkAsync("get_reflection_stats", new { project });
        Assert.That(stats.GetProperty("total_reflections").GetInt64(), Is.EqualTo(0));
    }

    [Test]
    public async Task PatternsCountOccurrencesAndAreFoundByQueryTypeAndProject()
    {
        var project = Unique("pat");
        var first = await _tools.CallOkAsync("store_pattern", new
        {
            name = "retry with jitter",
            pattern_type = "code",
            description = "Retry transient network failures with exponential backoff and random jitter",
            examples = new[] { "Polly pipeline with AddRetry" },
            project,
        });
        Assert.That(first.GetProperty("created").GetBoolean(), Is.True);
        var second = await _tools.CallOkAsync("store_pattern", new
        {
            name = "retry with jitter",
            pattern_type = "code",
            description = "Retry transient network and database failures with exponential backoff and jitter",
            examples = new[] { "Npgsql transient retry" },
            project,
        });
        var pattern = second.GetProperty("pattern");
        Assert.Multiple(() =>
        {
            Assert.That(second.GetProperty("created").GetBoolean(), Is.False);
            Assert.That(pattern.GetProperty("id").GetString(), Is.EqualTo(first.GetProperty("pattern").GetProperty("id").GetString()));
            Assert.That(pattern.GetProperty("occurrences").GetInt32(), Is.EqualTo(2));
            Assert.That(pattern.GetProperty("examples").GetArrayLength(), Is.EqualTo(2));
        });
        await _tools.CallOkAsync("store_pattern", new { name = "feature branches", pattern_type = "workflow", description = "One short-lived branch per issue, merged by the lead", project });

        var found = await _tools.CallOkAsync("find_patterns", new { query = "database failures backoff", project });
        var names = found.GetProperty("patterns").EnumerateArray().Select(p => p.GetProperty("pattern").GetProperty("name").GetString()).ToList();
        Assert.That(names.First(), Is.EqualTo("retry with jitter"));
        Assert.That(found.GetProperty("patterns")[0].GetProperty("pattern").GetProperty("description").GetString(), Does.Contain("database"));

        var workflows = await _tools.CallOkAsync("find_patterns", new { pattern_type = "workflow", project });
        Assert.That(workflows.GetProperty("patterns").EnumerateArray().Select(p => p.GetProperty("pattern").GetProperty("name").GetString()), Is.EqualTo(new[] { "feature branches" }));
        var listed = await _tools.CallOkAsync("find_patterns", new { project });
        Assert.That(listed.GetProperty("patterns")[0].GetProperty("pattern").GetProperty("name").GetString(), Is.EqualTo("retry with jitter"), "most frequent first");
        var elsewhere = await _tools.CallOkAsync("find_patterns", new { query = "retry backoff jitter", project = Unique("other") });
        Assert.That(elsewhere.GetProperty("patterns").GetArrayLength(), Is.EqualTo(0));
        // The replaced searchable text is gone: one pattern memory per pattern.
        Assert.That(await CountAsync("SELECT count(*) FROM reflections WHERE project = @p AND category = 'pattern'", ("p", project)), Is.EqualTo(2));
    }

    private static IEnumerable<TestCaseData> BadCalls()
    {
        var big = new string('x', 50_001);
        yield return new TestCaseData("store_reflection", new { content = "  " }, "content").SetName("store_reflection empty content");
        yield return new TestCaseData("store_reflection", new { content = big }, "content").SetName("store_reflection oversized content");
        yield return new TestCaseData("store_reflection", new { content = "ok", tags = new[] { "" } }, "tags").SetName("store_reflection empty tag");
        yield return new TestCaseData("store_reflection", new { content = "ok", project = new string('p', 201) }, "project").SetName("store_reflection long project");
        yield return new TestCaseData("store_reflection", new { content = "ok", metadata = new[] { 1 } }, "metadata").SetName("store_reflection array metadata");
        yield return new TestCaseData("store_reflection", new { }, "content").SetName("store_reflection missing content");
        yield return new TestCaseData("search_reflections", new { query = "" }, "query").SetName("search_reflections empty query");
        yield return new TestCaseData("search_reflections", new { query = "q", limit = 0 }, "limit").SetName("search_reflections limit 0");
        yield return new TestCaseData("search_reflections", new { query = "q", limit = 101 }, "limit").SetName("search_reflections limit 101");
        yield return new TestCaseData("search_reflections", new { query = "q", mode = "fuzzy" }, "mode").SetName("search_reflections unknown mode");
        yield return new TestCaseData("search_reflections", new { query = "q", since = "last tuesday" }, "since").SetName("search_reflections malformed since");
        yield return new TestCaseData("search_reflections", new { query = "q", until = "2025-13-45" }, "until").SetName("search_reflections malformed until");
        yield return new TestCaseData("search_reflections", new { query = "q", since = "2025-02-01", until = "2025-01-01" }, "until").SetName("search_reflections until before since");
        yield return new TestCaseData("search_reflections", new { query = "q", tags_match = "some" }, "tags_match").SetName("search_reflections unknown tags_match");
        yield return new TestCaseData("quick_search", new { query = "q", mode = "exact" }, "mode").SetName("quick_search unknown mode");
        yield return new TestCaseData("get_reflection_stats", new { project = new string('p', 201) }, "project").SetName("get_reflection_stats long project");
        yield return new TestCaseData("delete_reflection", new { id = "not-a-uuid" }, "id").SetName("delete_reflection malformed id");
        yield return new TestCaseData("delete_reflection", new { id = Guid.NewGuid().ToString() }, "id").SetName("delete_reflection unknown id");
        yield return new TestCaseData("store_memory", new { content = "", category = "fact" }, "content").SetName("store_memory empty content");
        yield return new TestCaseData("store_memory", new { content = big, category = "fact" }, "content").SetName("store_memory oversized content");
        yield return new TestCaseData("store_memory", new { content = "ok", category = "gossip" }, "category").SetName("store_memory unknown category");
        yield return new TestCaseData("store_memory", new { content = "ok", category = "" }, "category").SetName("store_memory empty category");
        yield return new TestCaseData("store_memory", new { content = "ok", category = "pattern" }, "category").SetName("store_memory pattern category");
        yield return new TestCaseData("store_memory", new { content = "ok", category = "fact", metadata = "text" }, "metadata").SetName("store_memory string metadata");
        yield return new TestCaseData("search_memories", new { query = " " }, "query").SetName("search_memories empty query");
        yield return new TestCaseData("search_memories", new { query = "q", category = "gossip" }, "category").SetName("search_memories unknown category");
        yield return new TestCaseData("search_memories", new { query = "q", metadata = new[] { "a" } }, "metadata").SetName("search_memories array metadata");
        yield return new TestCaseData("search_memories", new { query = "q", limit = 500 }, "limit").SetName("search_memories limit 500");
        yield return new TestCaseData("search_memories", new { query = "q", mode = "fuzzy" }, "mode").SetName("search_memories unknown mode");
        yield return new TestCaseData("store_pattern", new { name = "", pattern_type = "code", description = "d" }, "name").SetName("store_pattern empty name");
        yield return new TestCaseData("store_pattern", new { name = "n", pattern_type = "Not A Type!", description = "d" }, "pattern_type").SetName("store_pattern bad type");
        yield return new TestCaseData("store_pattern", new { name = "n", pattern_type = "code", description = " " }, "description").SetName("store_pattern empty description");
        yield return new TestCaseData("store_pattern", new { name = "n", pattern_type = "code", description = new string('d', 10_001) }, "description").SetName("store_pattern oversized description");
        yield return new TestCaseData("store_pattern", new { name = "n", pattern_type = "code", description = "d", examples = new[] { "" } }, "examples").SetName("store_pattern empty example");
        yield return new TestCaseData("find_patterns", new { query = "" }, "query").SetName("find_patterns empty query");
        yield return new TestCaseData("find_patterns", new { pattern_type = "Bad Type" }, "pattern_type").SetName("find_patterns bad type");
        yield return new TestCaseData("find_patterns", new { limit = 0 }, "limit").SetName("find_patterns limit 0");
        yield return new TestCaseData("worker_search_history", new { query = "" }, "query").SetName("worker_search_history empty query");
        yield return new TestCaseData("worker_search_history", new { query = "q", status = "exploded" }, "status").SetName("worker_search_history unknown status");
        yield return new TestCaseData("worker_search_history", new { query = "q", limit = 101 }, "limit").SetName("worker_search_history limit 101");
        yield return new TestCaseData("get_memory_health", new { project = new string('p', 201) }, "project").SetName("get_memory_health long project");
    }

    [TestCaseSource(nameof(BadCalls))]
    public async Task BadInputIsAToolErrorNamingTheArgumentAndStoresNothing(string tool, object arguments, string argument)
    {
        var rows = await RowsAsync();
        var patterns = await CountAsync("SELECT count(*) FROM patterns");

        var error = await _tools.CallErrorAsync(tool, arguments);

        // The SDK prefixes service errors with "An error occurred invoking '<tool>': ".
        Assert.That(error, Does.StartWith(argument + ":").Or.Contain($"': {argument}:"));
        Assert.That(await RowsAsync(), Is.EqualTo(rows), "nothing stored");
        Assert.That(await CountAsync("SELECT count(*) FROM patterns"), Is.EqualTo(patterns), "no pattern stored");
    }
}
