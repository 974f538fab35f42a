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

    private static double Cosine(float[] a, float[] b)
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
