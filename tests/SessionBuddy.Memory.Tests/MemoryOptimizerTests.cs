using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Optimization;
using SessionBuddy.Memory.Reflections;

namespace SessionBuddy.Memory.Tests;

public class MemoryOptimizerTests
{
    private MemoryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await MemoryDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    private Task<StoreMemoryReply> StoreAsync(string content, string? project, string category = MemoryCategories.Reflection) =>
        _db.Get<MemorySearch>().StoreAsync(new NewReflection(Guid.NewGuid(), content, [], project, null, null, category), CancellationToken.None);

    [Test]
    public async Task Merges_only_near_duplicates_of_one_project_and_category_and_keeps_every_content()
    {
        const string text = "Use a PeriodicTimer for background schedules instead of Task.Delay loops";
        var a = await StoreAsync(text, "p1");
        var b = await StoreAsync(text + ".", "p1");
        var c = await StoreAsync(text + "!", "p1");
        var otherProject = await StoreAsync(text + ".", "p2");
        var otherCategory = await StoreAsync(text + "?", "p1", "fact");
        var workerRuns = await StoreAsync(text + ";", "p1", MemoryCategories.WorkerExecution);
        var workerRuns2 = await StoreAsync(text + ":", "p1", MemoryCategories.WorkerExecution);
        var unrelated = await StoreAsync("The gateway maps /mcp on the Core streamable transport", "p1");
        var before = await _db.CountAsync("SELECT count(*) FROM reflections");

        var report = await _db.Get<MemoryOptimizer>().RunAsync(OptimizationTriggers.Manual, CancellationToken.None);

        Assert.That(report.Merges.Select(m => m.MergedId), Is.EquivalentTo(new[] { b.Id, c.Id }));
        Assert.That(report.Merges.Select(m => m.SurvivorId), Is.All.EqualTo(a.Id));
        Assert.That(await _db.CountAsync("SELECT count(*) FROM reflections"), Is.EqualTo(before - 2));
        foreach (var kept in new[] { a, otherProject, otherCategory, workerRuns, workerRuns2, unrelated })
        {
            Assert.That(await _db.CountAsync($"SELECT count(*) FROM reflections WHERE id = '{kept.Id}'"), Is.EqualTo(1));
        }
        // Every merged content is reachable from the survivor and kept whole in memory_merges.
        var survivor = (await _db.Get<ReflectionStore>().LoadAsync([a.Id], CancellationToken.None))[a.Id];
        var mergedFrom = survivor.Metadata.GetProperty("merged_from").EnumerateArray().ToList();
        Assert.That(mergedFrom.Select(m => m.GetProperty("content").GetString()), Is.EquivalentTo(new[] { text + ".", text + "!" }));
        Assert.That(await _db.CountAsync($"SELECT count(*) FROM memory_merges WHERE survivor_id = '{a.Id}'"), Is.EqualTo(2));
        // BM25 statistics follow the deletes.
        Assert.That(await _db.CountAsync("SELECT sum(doc_count) FROM reflection_corpus"), Is.EqualTo(before - 2));

        var again = await _db.Get<MemoryOptimizer>().RunAsync(OptimizationTriggers.Schedule, CancellationToken.None);
        Assert.That(again.Merges, Is.Empty);
        Assert.That(await _db.CountAsync("SELECT count(*) FROM reflections"), Is.EqualTo(before - 2));
    }

    [Test]
    public async Task Stale_items_decay_and_hits_refresh_them()
    {
        var old = await StoreAsync("Stale: the legacy importer needs manual CSV cleanup", "stale");
        var used = await StoreAsync("Stale but searched: the legacy exporter writes UTF-16", "stale");
        await _db.CountAsync($"UPDATE reflections SET created_at = now() - interval '200 days' WHERE id IN ('{old.Id}', '{used.Id}') RETURNING 1");
        await _db.Get<MemoryAccess>().RecordAsync([used.Id], CancellationToken.None);

        var health = await _db.Get<MemoryHealthReader>().ReadAsync("stale", CancellationToken.None);

        Assert.That(health.StaleItems, Is.EqualTo(1));
        Assert.That(health.StaleSamples.Single().Id, Is.EqualTo(old.Id));
        Assert.That(health.StaleSamples.Single().Relevance, Is.LessThan(0.05));
        Assert.That(health.TotalAccesses, Is.EqualTo(1));
    }
}
