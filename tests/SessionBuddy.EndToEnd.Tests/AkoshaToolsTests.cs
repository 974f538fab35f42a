namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// The Akosha tools through the gateway on an instance that pushes nowhere (no Akosha:Endpoint) and, as every instance
/// the AppHost runs, is a hub itself: results handed to it are stored once and found by search_all_systems.
/// </summary>
[TestFixture]
public sealed class AkoshaToolsTests
{
    [Test]
    public async Task ResultsPushedToThisHubAreStoredOnceAndSearchableBySystem()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        var word = "hub" + Guid.NewGuid().ToString("N")[..10];
        var system = "system-" + word;
        var result = new
        {
            worker_id = "w-1", task_id = Guid.NewGuid(), worker_type = "shell", prompt_or_command = $"echo {word}", status = "completed",
            output = $"{word} done", error = (string?)null, exit_code = 0, duration_seconds = 0.5, repo = (string?)null,
            timestamp = DateTimeOffset.UtcNow, pool_id = "pool-" + word, session_id = (Guid?)null,
        };

        var pushed = await tools.CallOkAsync("akosha_push_results", new { pool_id = "pool-" + word, results = new[] { result }, system_id = system });
        Assert.That(pushed.GetProperty("stored").GetInt32(), Is.EqualTo(1));
        var again = await tools.CallOkAsync("akosha_push_results", new { pool_id = "pool-" + word, results = new[] { result }, system_id = system });
        Assert.That(again.GetProperty("stored").GetInt32(), Is.Zero);
        Assert.That(again.GetProperty("duplicates").GetInt32(), Is.EqualTo(1), "the same task from the same system is stored once");

        Assert.That(() => Hits(tools, new { query = word, system_id = system }).Result, Is.EqualTo(1).After(15_000, 200));
        Assert.That(await Hits(tools, new { query = word, system_id = "another-" + system }), Is.Zero);
        Assert.That(await Hits(tools, new { query = word, system_id = system, kind = "worker_result" }), Is.EqualTo(1));
        Assert.That(await Hits(tools, new { query = word, system_id = system, kind = "session_summary" }), Is.Zero, "filtered by kind");
        var byType = await tools.CallOkAsync("akosha_search_workers", new { query = word, worker_types = new[] { "shell" } });
        var metadata = byType.GetProperty("results")[0].GetProperty("metadata");
        Assert.That(metadata.GetProperty("system_id").GetString(), Is.EqualTo(system));
        Assert.That(metadata.GetProperty("kind").GetString(), Is.EqualTo("worker_result"), "each hit says its kind");

        var status = await tools.CallOkAsync("akosha_sync_status");
        Assert.That(status.GetProperty("configured").GetBoolean(), Is.False, "no Akosha:Endpoint: nothing is pushed, and the status says so");
        Assert.That(status.GetProperty("hub_enabled").GetBoolean(), Is.True);
        Assert.That(status.GetProperty("hub_results").GetInt64(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task BadArgumentsAreToolErrorsNamingThem()
    {
        await using var tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        Assert.That(await tools.CallErrorAsync("sync_to_akosha", new { scope = "everything" }), Does.Contain("scope"));
        Assert.That(await tools.CallErrorAsync("akosha_replay", new { ids = new[] { "not-a-uuid" } }), Does.Contain("ids[0]"));
        Assert.That(await tools.CallErrorAsync("akosha_dead_letters", new { limit = 0 }), Does.Contain("limit"));
        Assert.That(await tools.CallErrorAsync("akosha_push_results", new { pool_id = "p", results = Array.Empty<object>() }), Does.Contain("results"));
        Assert.That(await tools.CallErrorAsync("search_all_systems", new { query = "x", since = "yesterday" }), Does.Contain("since"));
        Assert.That(await tools.CallErrorAsync("search_all_systems", new { query = "x", kind = "diary" }), Does.Contain("kind"));
        var replayed = await tools.CallOkAsync("akosha_replay", new { ids = new[] { Guid.NewGuid().ToString() } });
        Assert.That(replayed.GetProperty("replayed").GetInt64(), Is.Zero);
        Assert.That(replayed.GetProperty("not_found").GetArrayLength(), Is.EqualTo(1));
    }

    private static async Task<int> Hits(ToolClient tools, object arguments) =>
        (await tools.CallOkAsync("search_all_systems", arguments)).GetProperty("results").GetArrayLength();
}
