using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Tests;

public class ReflectionStoreTests
{
    private MemoryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _db = await MemoryDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    internal static NewReflection Reflection(string content, string? project = null, string[]? tags = null, string? session = null) =>
        new(Guid.NewGuid(), content, tags ?? [], project, session, null);

    internal static async Task<StoreOutcome> StoreAsync(MemoryDatabase db, NewReflection reflection)
    {
        var embedded = await db.Get<ReflectionEmbedder>().EmbedAsync([reflection.Content], CancellationToken.None);
        return (await db.Get<ReflectionStore>().StoreAsync([reflection], embedded.Vectors, CancellationToken.None))[0];
    }

    [Test]
    public async Task Stored_id_is_what_search_returns_in_every_mode()
    {
        var stored = await StoreAsync(_db, Reflection("Round trip: zebrafish telemetry exporter stalls on shutdown", "roundtrip"));

        foreach (var mode in SearchModes.All)
        {
            var results = await _db.Get<ReflectionSearch>().SearchAsync(
                new ReflectionQuery("zebrafish telemetry exporter", 5, null, mode, new SearchFilter("roundtrip")), CancellationToken.None);
            Assert.That(results.Results.Select(r => r.Id), Does.Contain(stored.Id), mode);
            Assert.That(results.Mode, Is.EqualTo(mode));
            Assert.That(results.Warnings, Is.Empty);
        }
    }

    [Test]
    public async Task ReflectionAdded_carries_a_reflections_text_and_tags_and_not_other_memories()
    {
        var marker = Guid.NewGuid().ToString("N");
        var reflection = await StoreAsync(_db, Reflection("Forwarded lesson " + marker, "akosha", ["lesson", "forwarded"]));
        var fact = await StoreAsync(_db, Reflection("Forwarded fact " + marker, "akosha", ["fact"]) with { Category = "fact" });

        Assert.That(await _db.CountAsync(
            $"""
            SELECT count(*) FROM outbox_messages WHERE message_type = '{typeof(ReflectionAdded).FullName}'
              AND payload->>'reflectionId' = '{reflection.Id}' AND payload->>'category' = 'reflection'
              AND payload->>'content' = 'Forwarded lesson {marker}' AND payload->'tags' = '["lesson", "forwarded"]'::jsonb
            """), Is.EqualTo(1), "a reflection's event has its text and tags (Akosha:ForwardReflections)");
        Assert.That(await _db.CountAsync(
            $"""
            SELECT count(*) FROM outbox_messages WHERE message_type = '{typeof(ReflectionAdded).FullName}'
              AND payload->>'reflectionId' = '{fact.Id}' AND payload->>'category' = 'fact'
              AND NOT payload ? 'content' AND NOT payload ? 'tags'
            """), Is.EqualTo(1), "other memories' events stay small");
    }

    [Test]
    public async Task Twenty_concurrent_identical_stores_keep_exactly_one_row()
    {
        var content = "Concurrent duplicate: always dispose the NpgsqlDataSource " + Guid.NewGuid();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => StoreAsync(_db, Reflection(content, "dedup")))));

        Assert.That(outcomes.Select(o => o.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That(outcomes.Count(o => !o.Deduplicated), Is.EqualTo(1));
        Assert.That(outcomes.Count(o => o.Deduplicated), Is.EqualTo(19));
        Assert.That(await _db.CountAsync($"SELECT count(*) FROM reflections WHERE content = '{content}'"), Is.EqualTo(1));
    }

    [Test]
    public async Task Same_content_in_another_project_is_a_separate_reflection()
    {
        var content = "Per-project content " + Guid.NewGuid();
        var a = await StoreAsync(_db, Reflection(content, "alpha"));
        var b = await StoreAsync(_db, Reflection(content, "beta"));
        var global1 = await StoreAsync(_db, Reflection(content));
        var global2 = await StoreAsync(_db, Reflection(content));

        Assert.That(new[] { a.Id, b.Id, global1.Id }, Is.Unique);
        Assert.That(global2.Id, Is.EqualTo(global1.Id));
        Assert.That(global2.Deduplicated, Is.True);
    }

    [Test]
    public async Task A_retried_operation_reports_the_original_store()
    {
        var reflection = Reflection("Retried store " + Guid.NewGuid(), "retry");
        var first = await StoreAsync(_db, reflection);
        var retry = await StoreAsync(_db, reflection);

        Assert.That(retry.Id, Is.EqualTo(first.Id));
        Assert.That(retry.Deduplicated, Is.False);
    }

    [Test]
    public async Task Delete_removes_the_row_and_its_keyword_statistics()
    {
        var stored = await StoreAsync(_db, Reflection("quixotic flamingo deletion marker", "delete"));
        Assert.That(await _db.CountAsync("SELECT df FROM reflection_terms WHERE term = 'flamingo'"), Is.EqualTo(1));
        var documents = await _db.CountAsync("SELECT sum(doc_count) FROM reflection_corpus");

        Assert.That(await _db.Get<ReflectionStore>().DeleteAsync(stored.Id, CancellationToken.None), Is.True);
        Assert.That(await _db.Get<ReflectionStore>().DeleteAsync(stored.Id, CancellationToken.None), Is.False);

        Assert.That(await _db.CountAsync("SELECT df FROM reflection_terms WHERE term = 'flamingo'"), Is.Zero);
        Assert.That(await _db.CountAsync("SELECT sum(doc_count) FROM reflection_corpus"), Is.EqualTo(documents - 1));
        var results = await _db.Get<ReflectionSearch>().SearchAsync(
            new ReflectionQuery("quixotic flamingo", 5, null, SearchModes.Keyword, new SearchFilter("delete")), CancellationToken.None);
        Assert.That(results.Results, Is.Empty);
    }

    [Test]
    public async Task Stats_count_projects_and_tags()
    {
        await StoreAsync(_db, Reflection("stats one " + Guid.NewGuid(), "stats", ["db", "perf"]));
        await StoreAsync(_db, Reflection("stats two " + Guid.NewGuid(), "stats", ["db"]));

        var stats = await _db.Get<ReflectionStore>().GetStatsAsync("stats", "local/x", 256, CancellationToken.None);

        Assert.That(stats.TotalReflections, Is.EqualTo(2));
        Assert.That(stats.EmbeddedReflections, Is.EqualTo(2));
        Assert.That(stats.Projects.Single(), Is.EqualTo(new NamedCount("stats", 2)));
        Assert.That(stats.Tags, Is.EqualTo(new[] { new NamedCount("db", 2), new NamedCount("perf", 1) }));
    }
}
