using System.Text.Json;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Tests;

public class Bm25RankingTests
{
    private static readonly string[] Vocabulary =
    [
        "cache", "index", "query", "latency", "timeout", "deploy", "rollback", "schema", "migration", "vector",
        "token", "session", "worker", "queue", "retry", "backoff", "lock", "deadlock", "replica", "shard",
    ];

    private MemoryDatabase _db = null!;

    [OneTimeSetUp]
    public async Task CreateCorpus()
    {
        _db = await MemoryDatabase.CreateAsync();
        var random = new Random(7);
        // Zipf-like term use, so some terms are common and pruning has something to skip.
        var reflections = Enumerable.Range(0, 600)
            .Select(i => ReflectionStoreTests.Reflection(
                string.Join(' ', Enumerable.Range(0, random.Next(3, 25)).Select(_ => Vocabulary[(int)(Vocabulary.Length * Math.Pow(random.NextDouble(), 2.5))])) + $" doc{i}",
                i % 2 == 0 ? "even" : "odd"))
            .ToList();
        await _db.Get<ReflectionStore>().StoreAsync(reflections, null, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task DropDatabase() => await _db.DisposeAsync();

    [TestCase("cache index deadlock shard", null)]
    [TestCase("why does the replica deadlock under retry with backoff", null)]
    [TestCase("cache cache query", "even")]
    [TestCase("shard replica", "odd")]
    public async Task Pruned_ranking_equals_exhaustive_bm25(string query, string? project)
    {
        var expected = await ReferenceAsync(query, project);
        // A tiny budget forces the rare-terms-first path and its exactness check.
        var pruned = await new Bm25Ranking(_db.DataSource, candidateBudget: 20).RankAsync(query, new SearchFilter(project), 10, CancellationToken.None);
        var full = await new Bm25Ranking(_db.DataSource, candidateBudget: long.MaxValue).RankAsync(query, new SearchFilter(project), 10, CancellationToken.None);

        Assert.That(full.Select(r => r.Score), Is.EqualTo(expected.Select(r => r.Score)).Within(1e-9));
        Assert.That(pruned.Select(r => r.Score), Is.EqualTo(expected.Select(r => r.Score)).Within(1e-9));
        Assert.That(pruned.Select(r => r.Id), Is.EqualTo(full.Select(r => r.Id)));
    }

    /// <summary>BM25 over every row, computed here from the stored term counts.</summary>
    private async Task<List<RankedId>> ReferenceAsync(string query, string? project)
    {
        var docs = new List<(Guid Id, Dictionary<string, int> Tf, int Length, string? Project)>();
        await using (var command = _db.DataSource.CreateCommand("SELECT id, term_counts::text, doc_length, project FROM reflections"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                docs.Add((reader.GetGuid(0), JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(1))!, reader.GetInt32(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3)));
            }
        }
        var terms = new List<string>();
        await using (var command = _db.DataSource.CreateCommand("SELECT lexeme FROM unnest(to_tsvector('english', @q))"))
        {
            command.Parameters.AddWithValue("q", query);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                terms.Add(reader.GetString(0));
            }
        }

        double n = docs.Count, avgdl = docs.Average(d => d.Length);
        var idf = terms.ToDictionary(t => t, t =>
        {
            var df = docs.Count(d => d.Tf.ContainsKey(t));
            return Math.Log(1 + (n - df + 0.5) / (df + 0.5));
        });
        return docs
            .Where(d => project is null || d.Project == project)
            .Select(d => new RankedId(d.Id, terms.Where(d.Tf.ContainsKey).Sum(t =>
                idf[t] * d.Tf[t] * (Bm25Ranking.K1 + 1) / (d.Tf[t] + Bm25Ranking.K1 * (1 - Bm25Ranking.B + Bm25Ranking.B * d.Length / avgdl)))))
            .Where(r => r.Score > 0)
            .OrderByDescending(r => r.Score).ThenBy(r => r.Id)
            .Take(10)
            .ToList();
    }
}
