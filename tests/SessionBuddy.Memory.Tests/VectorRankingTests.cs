using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Search;
using static SessionBuddy.Memory.Tests.ReflectionStoreTests;

namespace SessionBuddy.Memory.Tests;

/// <summary>
/// Semantic ranking answers a selective filter exactly and a broad one from the HNSW index; both keep to
/// the filter.
/// </summary>
public class VectorRankingTests
{
    private static readonly string[] Topics =
    [
        "connection pool exhausted under load", "pool size raised to stop timeouts", "button colour changed to blue",
        "flaky integration test on the build server", "migration added a nullable column", "cache invalidated after deploy",
        "retry with exponential backoff on transient errors", "log level lowered for noisy consumer",
    ];

    private MemoryDatabase _exact = null!;
    private MemoryDatabase _indexed = null!;
    private readonly Dictionary<Guid, (string Project, float[] Vector)> _stored = [];

    [OneTimeSetUp]
    public async Task CreateDatabases()
    {
        _exact = await MemoryDatabase.CreateAsync();
        _indexed = await MemoryDatabase.CreateAsync(new Dictionary<string, string?> { ["Memory:ExactSearchMaxRows"] = "0" });
        var embedder = new LocalEmbedder(256);
        foreach (var db in new[] { _exact, _indexed })
        {
            for (var i = 0; i < 40; i++)
            {
                var content = $"{Topics[i % Topics.Length]} in service {i % 5} on day {i}";
                var project = i % 2 == 0 ? "even" : "odd";
                var outcome = await StoreAsync(db, Reflection(content, project));
                if (db == _exact)
                {
                    _stored[outcome.Id] = (project, embedder.Embed(content));
                }
            }
        }
    }

    [OneTimeTearDown]
    public async Task DropDatabases()
    {
        await _exact.DisposeAsync();
        await _indexed.DisposeAsync();
    }

    [Test]
    public async Task A_selective_filter_returns_the_exact_nearest_rows_in_order()
    {
        var query = new LocalEmbedder(256).Embed("connection pool timeouts under load");
        var expected = _stored
            .Where(s => s.Value.Project == "odd")
            .Select(s => (s.Key, Similarity: Cosine(query, s.Value.Vector)))
            .OrderByDescending(s => s.Similarity).ThenBy(s => s.Key)
            .Take(5)
            .ToList();

        var ranked = await _exact.Get<VectorRanking>().RankAsync(query, new SearchFilter("odd"), 5, CancellationToken.None);

        Assert.That(ranked.Select(r => r.Id), Is.EqualTo(expected.Select(e => e.Key)));
        Assert.That(ranked.Select(r => r.Score), Is.EqualTo(expected.Select(e => e.Similarity)).Within(1e-5));
    }

    [Test]
    public async Task The_index_path_keeps_to_the_filter_too()
    {
        var query = new LocalEmbedder(256).Embed("connection pool timeouts under load");
        var ranked = await _indexed.Get<VectorRanking>().RankAsync(query, new SearchFilter("even"), 10, CancellationToken.None);
        var projects = await _indexed.CountAsync(
            $"SELECT count(*) FROM reflections WHERE project <> 'even' AND id IN ({string.Join(",", ranked.Select(r => $"'{r.Id}'"))})");

        Assert.That(ranked, Has.Count.EqualTo(10));
        Assert.That(projects, Is.Zero);
    }

    [Test]
    public async Task A_filter_leaving_most_of_an_analysed_store_is_answered_by_the_index_with_the_exact_order()
    {
        await using var db = await MemoryDatabase.CreateAsync();
        var embedder = new LocalEmbedder(256);
        var vectors = new Dictionary<Guid, float[]>();
        for (var i = 0; i < 20; i++)
        {
            var content = $"{Topics[i % Topics.Length]} in service {i % 3} on day {i}";
            var outcome = await StoreAsync(db, Reflection(content, i < 17 ? "most" : "few"));
            if (i < 17)
            {
                vectors[outcome.Id] = embedder.Embed(content);
            }
        }
        var semantic = db.Get<VectorRanking>();
        var most = new SearchFilter("most");

        // Never analysed, the table's size is unknown: ExactSearchMaxRows alone decides.
        Assert.That(await semantic.UsesExactScanAsync(most, CancellationToken.None), Is.True);

        await using (var analyze = db.DataSource.CreateCommand("ANALYZE reflections"))
        {
            await analyze.ExecuteNonQueryAsync();
        }
        Assert.That(await semantic.UsesExactScanAsync(most, CancellationToken.None), Is.False, "17 of 20 rows: more than half");
        Assert.That(await semantic.UsesExactScanAsync(new SearchFilter("few"), CancellationToken.None), Is.True);

        var query = embedder.Embed("connection pool timeouts under load");
        var expected = vectors
            .Select(v => (v.Key, Similarity: Cosine(query, v.Value)))
            .OrderByDescending(v => v.Similarity).ThenBy(v => v.Key)
            .Take(5)
            .ToList();
        var ranked = await semantic.RankAsync(query, most, 5, CancellationToken.None);
        Assert.That(ranked.Select(r => r.Id), Is.EqualTo(expected.Select(e => e.Key)));
        Assert.That(ranked.Select(r => r.Score), Is.EqualTo(expected.Select(e => e.Similarity)).Within(1e-5));
    }

    [Test]
    public async Task An_existing_index_built_with_other_graph_settings_is_rebuilt_at_start()
    {
        await using var db = await MemoryDatabase.CreateAsync();
        const string Options = "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'reflections_embedding_hnsw'";
        await using (var read = db.DataSource.CreateCommand(Options))
        {
            Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo("m=16,ef_construction=64"));
        }
        var stored = await StoreAsync(db, Reflection("kept across the rebuild", "rebuild"));

        var column = new EmbeddingColumn(db.DataSource, db.Get<EmbeddingSettings>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EmbeddingColumn>.Instance, new MemoryOptions { HnswM = 32, HnswEfConstruction = 128 });
        await column.StartAsync(CancellationToken.None);
        await column.StartAsync(CancellationToken.None); // idempotent

        await using (var read = db.DataSource.CreateCommand(Options))
        {
            Assert.That(await read.ExecuteScalarAsync(), Is.EqualTo("m=32,ef_construction=128"));
        }
        var ranked = await db.Get<VectorRanking>().RankAsync(new LocalEmbedder(256).Embed("kept across the rebuild"), SearchFilter.None, 1, CancellationToken.None);
        Assert.That(ranked.Single().Id, Is.EqualTo(stored.Id));
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
