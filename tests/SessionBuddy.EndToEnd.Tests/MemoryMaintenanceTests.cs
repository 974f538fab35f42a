using MassTransit;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>
/// Worker history from WorkerTaskCompleted events published on the real bus, and the memory
/// optimisation (near-duplicate merge, access counts, stale items) through optimize_memories and
/// get_memory_health.
/// </summary>
[TestFixture]
public sealed class MemoryMaintenanceTests
{
    private ToolClient _tools = null!;

    [OneTimeSetUp]
    public async Task Connect() => _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);

    [OneTimeTearDown]
    public async Task Disconnect() => await _tools.DisposeAsync();

    [Test]
    public async Task WorkerTaskCompletedPublishedTwiceWithOneMessageIdBecomesOneSearchableMemory()
    {
        var marker = Guid.NewGuid().ToString("N");
        var completed = new WorkerTaskCompleted(
            "worker-7", Guid.NewGuid(), "shell", $"dotnet test --filter Zanzibar{marker}", WorkerTaskStatuses.Failed,
            "Build succeeded. 3 tests failed in ZanzibarParserTests", "exit status 1", 1, 12.5, "/src/zanzibar", DateTimeOffset.UtcNow);
        var other = completed with { TaskId = Guid.NewGuid(), WorkerType = "terminal-claude", Status = WorkerTaskStatuses.Completed, ExitCode = 0, Error = null };

        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(Suite.App.MessagingUri));
        await bus.StartAsync();
        try
        {
            var messageId = Guid.NewGuid();
            await bus.Publish(completed, context => context.MessageId = messageId);
            await bus.Publish(completed, context => context.MessageId = messageId);
            await bus.Publish(other, context => context.MessageId = Guid.NewGuid());
        }
        finally
        {
            await bus.StopAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        long rows;
        do
        {
            await Task.Delay(200);
            rows = await MemoryToolsTests.CountAsync(
                "SELECT count(*) FROM reflections WHERE category = 'worker_execution' AND content LIKE @m", ("m", $"%Zanzibar{marker}%"));
        }
        while (rows < 2 && DateTime.UtcNow < deadline);
        await Task.Delay(500); // a wrongly applied duplicate would land by now
        Assert.That(await MemoryToolsTests.CountAsync(
            "SELECT count(*) FROM reflections WHERE category = 'worker_execution' AND content LIKE @m", ("m", $"%Zanzibar{marker}%")), Is.EqualTo(2));

        var failed = await _tools.CallOkAsync("worker_search_history", new { query = $"Zanzibar{marker} parser tests failed", status = "failed" });
        var hit = failed.GetProperty("results").EnumerateArray().Single();
        var metadata = hit.GetProperty("metadata");
        Assert.Multiple(() =>
        {
            Assert.That(hit.GetProperty("category").GetString(), Is.EqualTo("worker_execution"));
            Assert.That(metadata.GetProperty("task_id").GetString(), Is.EqualTo(completed.TaskId.ToString()));
            Assert.That(metadata.GetProperty("worker_id").GetString(), Is.EqualTo("worker-7"));
            Assert.That(metadata.GetProperty("worker_type").GetString(), Is.EqualTo("shell"));
            Assert.That(metadata.GetProperty("exit_code").GetInt32(), Is.EqualTo(1));
            Assert.That(metadata.GetProperty("duration_seconds").GetDouble(), Is.EqualTo(12.5));
            Assert.That(metadata.GetProperty("repo").GetString(), Is.EqualTo("/src/zanzibar"));
            Assert.That(metadata.TryGetProperty("timestamp", out _), Is.True);
        });

        var claude = await _tools.CallOkAsync("worker_search_history", new { query = $"Zanzibar{marker}", worker_type = "terminal-claude" });
        Assert.That(claude.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("metadata").GetProperty("task_id").GetString()),
            Is.EqualTo(new[] { other.TaskId.ToString() }));
        var both = await _tools.CallOkAsync("worker_search_history", new { query = $"Zanzibar{marker}", limit = 5 });
        Assert.That(both.GetProperty("results").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task OptimizeMergesNearDuplicatesWithinAProjectKeepingTheirContent()
    {
        var project = MemoryToolsTests.Unique("opt");
        var elsewhere = MemoryToolsTests.Unique("opt-other");
        const string text = "Pin Microsoft.Extensions packages centrally to avoid NU1605 downgrade errors";
        var original = (await _tools.CallOkAsync("store_reflection", new { content = text, project, tags = new[] { "nuget" } })).GetProperty("id").GetString()!;
        var nearDuplicate = (await _tools.CallOkAsync("store_reflection", new { content = text + "!", project, tags = new[] { "build" } })).GetProperty("id").GetString()!;
        var otherProject = (await _tools.CallOkAsync("store_reflection", new { content = text + "!", project = elsewhere })).GetProperty("id").GetString()!;
        var unrelated = (await _tools.CallOkAsync("store_reflection", new { content = "Session workspaces live under Sessions:WorkspaceRoot", project })).GetProperty("id").GetString()!;
        // Two search hits on the duplicate; they move to the survivor.
        for (var i = 0; i < 2; i++)
        {
            await _tools.CallOkAsync("search_reflections", new { query = "NU1605 downgrade", project, limit = 1 });
        }

        var report = await _tools.CallOkAsync("optimize_memories");
        var merges = report.GetProperty("merges").EnumerateArray().ToList();
        var ours = merges.Where(m => m.GetProperty("project").GetString() == project).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(report.GetProperty("trigger").GetString(), Is.EqualTo("manual"));
            Assert.That(ours, Has.Count.EqualTo(1));
            Assert.That(ours[0].GetProperty("survivor_id").GetString(), Is.EqualTo(original));
            Assert.That(ours[0].GetProperty("merged_id").GetString(), Is.EqualTo(nearDuplicate));
            Assert.That(merges.Select(m => m.GetProperty("merged_id").GetString()), Has.None.EqualTo(otherProject).And.None.EqualTo(unrelated));
        });

        var found = await _tools.CallOkAsync("search_reflections", new { query = "NU1605 downgrade errors", project, mode = "keyword" });
        var survivor = found.GetProperty("results").EnumerateArray().Single();
        var mergedFrom = survivor.GetProperty("metadata").GetProperty("merged_from").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(survivor.GetProperty("id").GetString(), Is.EqualTo(original));
            Assert.That(survivor.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EquivalentTo(new[] { "nuget", "build" }));
            Assert.That(mergedFrom.GetProperty("id").GetString(), Is.EqualTo(nearDuplicate));
            Assert.That(mergedFrom.GetProperty("content").GetString(), Is.EqualTo(text + "!"));
        });
        var otherStillThere = await _tools.CallOkAsync("search_reflections", new { query = "NU1605", project = elsewhere });
        Assert.That(otherStillThere.GetProperty("results")[0].GetProperty("id").GetString(), Is.EqualTo(otherProject));

        // Health: merged count, last run, access counts; an item unused for longer than the stale age is reported.
        await MemoryToolsTests.CountAsync("UPDATE reflections SET created_at = now() - interval '400 days' WHERE id = @id RETURNING 1", ("id", Guid.Parse(unrelated)));
        var health = await _tools.CallOkAsync("get_memory_health", new { project });
        Assert.Multiple(() =>
        {
            Assert.That(health.GetProperty("total_memories").GetInt64(), Is.EqualTo(2));
            Assert.That(health.GetProperty("duplicates_merged").GetInt64(), Is.EqualTo(1));
            Assert.That(health.GetProperty("total_accesses").GetInt64(), Is.GreaterThanOrEqualTo(3), "two hits moved to the survivor, plus the last search");
            Assert.That(health.GetProperty("stale_items").GetInt64(), Is.EqualTo(1));
            Assert.That(health.GetProperty("stale_samples")[0].GetProperty("id").GetString(), Is.EqualTo(unrelated));
            Assert.That(health.GetProperty("stale_samples")[0].GetProperty("relevance").GetDouble(), Is.LessThan(0.01));
            Assert.That(health.GetProperty("last_run").GetProperty("run_id").GetString(), Is.EqualTo(report.GetProperty("run_id").GetString()));
        });

        // The merged id answers where its content went.
        Assert.That(await _tools.CallErrorAsync("delete_reflection", new { id = nearDuplicate }), Does.Contain("id:").And.Contain($"merged into {original}"));

        // Nothing new: a second run merges nothing and loses nothing.
        var second = await _tools.CallOkAsync("optimize_memories");
        Assert.That(second.GetProperty("merges").EnumerateArray().Where(m => m.GetProperty("project").GetString() == project), Is.Empty);
        Assert.That(await MemoryToolsTests.CountAsync("SELECT count(*) FROM memory_merges WHERE merged_id = @id", ("id", Guid.Parse(nearDuplicate))), Is.EqualTo(1));
    }

    [Test]
    public async Task ReembedMemoriesReportsTheBuiltInModelAndAStoreThatNeedsNothing()
    {
        var project = "reembed-" + Guid.NewGuid().ToString("N");
        await _tools.CallOkAsync("store_reflection", new { content = "Pinned the container image tag instead of latest", project });

        var progress = await _tools.CallOkAsync("reembed_memories", new { status_only = true });

        Assert.That(progress.GetProperty("model").GetString(), Is.EqualTo("builtin/all-MiniLM-L6-v2"));
        Assert.That(progress.GetProperty("state").GetString(), Is.AnyOf("up_to_date", "completed"));
        Assert.That(progress.GetProperty("remaining").GetInt64(), Is.Zero);
        Assert.That(progress.GetProperty("vectors_by_model").EnumerateArray().Select(m => m.GetProperty("name").GetString()),
            Is.EquivalentTo(new[] { "builtin/all-MiniLM-L6-v2" }));
    }
}
