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

    [TestCase("cache index deadlock shard", null, 10)]
    [TestCase("why does the replica deadlock under retry with backoff", null, 10)]
    [TestCase("why does the replica deadlock under retry with backoff", null, 1)]
    [TestCase("why does the replica deadlock under retry with backoff", null, 50)]
    [TestCase("cache cache query", "even", 10)]
    [TestCase("shard replica", "odd", 10)]
    [TestCase("timeout latency queue worker session", "odd", 3)]
    public async Task Pruned_ranking_equals_exhaustive_bm25(string query, string? project, int limit)
    {
        var expected = await ReferenceAsync(query, project, limit);
        // A tiny budget forces the rare-terms-first path and its exactness check.
        var pruned = await new Bm25Ranking(_db.DataSource, candidateBudget: 20).RankAsync(query, new SearchFilter(project), limit, CancellationToken.None);
        var full = await new Bm25Ranking(_db.DataSource, candidateBudget: long.MaxValue).RankAsync(query, new SearchFilter(project), limit, CancellationToken.None);
        // Free probes: the common terms are always left out when their bounds allow, and looked up per candidate.
        var probed = await new Bm25Ranking(_db.DataSource, candidateBudget: 20, probeCost: 0).RankAsync(query, new SearchFilter(project), limit, CancellationToken.None);

        Assert.That(full.Select(r => r.Score), Is.EqualTo(expected.Select(r => r.Score)).Within(1e-9));
        Assert.That(pruned.Select(r => r.Score), Is.EqualTo(expected.Select(r => r.Score)).Within(1e-9));
        Assert.That(pruned.Select(r => r.Id), Is.EqualTo(full.Select(r => r.Id)));
        Assert.That(probed.Select(r => r.Score), Is.EqualTo(expected.Select(r => r.Score)).Within(1e-9));
        Assert.That(probed.Select(r => r.Id), Is.EqualTo(full.Select(r => r.Id)));
    }

    [TestCase("why does the replica deadlock under retry with backoff", null, 10, 40L)]
    [TestCase("cache index deadlock shard query latency", null, 100, 30L)]
    [TestCase("cache index deadlock shard query latency", null, 100, 80L)]
    [TestCase("timeout latency queue worker session", "odd", 60, 20L)]
    [TestCase("timeout latency queue worker session", "odd", 60, 80L)]
    public async Task Approximate_ranking_is_exact_bm25_over_the_rarest_terms_candidates(string query, string? project, int limit, long candidatePostings)
    {
        // Every candidate rescored: the result is exact BM25 over the documents that contain one of the
        // terms taken rarest-first within the budget, which leaves the commonest terms out.
        var approximation = new Bm25Approximation(candidatePostings, RescoredCandidates: 10_000);
        var expected = await ReferenceAsync(query, project, limit, candidatePostings);
        var all = await ReferenceAsync(query, project, limit);
        Assume.That(expected.Select(r => r.Id), Is.Not.EqualTo(all.Select(r => r.Id)), "the budget must leave some documents out");

        var approximate = await new Bm25Ranking(_db.DataSource, approximation: approximation).RankAsync(query, new SearchFilter(project), limit, CancellationToken.None);

        Assert.That(approximate.Select(r => r.Id), Is.EqualTo(expected.Select(r => r.Id)));
        Assert.That(approximate.Select(r => r.Score), Is.EqualTo(expected.Select(r => r.Score)).Within(1e-9));
    }

    [Test]
    public async Task Approximate_ranking_returns_exact_scores_and_keeps_what_a_rare_term_decides()
    {
        var store = _db.Get<ReflectionStore>();
        var rare = (await store.StoreAsync(
            [ReflectionStoreTests.Reflection("the kubernetes replica lost its cache index", "rare")], null, CancellationToken.None))[0];
        const string query = "kubernetes cache index query latency session";
        var exhaustive = (await ReferenceAsync(query, null, 1_000)).ToDictionary(r => r.Id, r => r.Score);

        // A budget of one posting: only the rarest term (kubernetes, in one document) selects candidates,
        // and only three of them are rescored.
        var approximate = await new Bm25Ranking(_db.DataSource, approximation: new Bm25Approximation(1, RescoredCandidates: 3))
            .RankAsync(query, SearchFilter.None, 10, CancellationToken.None);
        var exact = await new Bm25Ranking(_db.DataSource).RankAsync(query, SearchFilter.None, 10, CancellationToken.None);

        Assert.That(exact[0].Id, Is.EqualTo(rare.Id), "the rare term decides the exact ranking");
        Assert.That(approximate.Select(r => r.Id), Is.EqualTo(new[] { rare.Id }));
        Assert.That(approximate[0].Score, Is.EqualTo(exhaustive[rare.Id]).Within(1e-9), "the full BM25 score, not the rare term's part");

        // Filters on the reflection row (not on the postings) apply to the candidates.
        var ranking = new Bm25Ranking(_db.DataSource, approximation: new Bm25Approximation(1, RescoredCandidates: 3));
        var recent = await ranking.RankAsync(query, new SearchFilter(Since: DateTimeOffset.UtcNow.AddHours(-1)), 10, CancellationToken.None);
        var future = await ranking.RankAsync(query, new SearchFilter(Since: DateTimeOffset.UtcNow.AddHours(1)), 10, CancellationToken.None);
        Assert.That(recent.Select(r => r.Id), Is.EqualTo(new[] { rare.Id }));
        Assert.That(future, Is.Empty);

        // Off (budget 0) and a budget covering every posting are both exact.
        foreach (var setting in new[] { new Bm25Approximation(0, 3), new Bm25Approximation(long.MaxValue, 3) })
        {
            var ranked = await new Bm25Ranking(_db.DataSource, candidateBudget: 20, approximation: setting).RankAsync(query, SearchFilter.None, 10, CancellationToken.None);
            Assert.That(ranked.Select(r => r.Id), Is.EqualTo(exact.Select(r => r.Id)), setting.ToString());
        }
        await store.DeleteAsync(rare.Id, CancellationToken.None);
    }

    [Test]
    public async Task Term_bounds_cover_every_posting()
    {
        // Deleting the documents that set a term's max_tf or min_doc_length leaves the bound loose, never wrong.
        var store = _db.Get<ReflectionStore>();
        var extra = await store.StoreAsync(
            [ReflectionStoreTests.Reflection("deadlock deadlock deadlock deadlock", "bounds"), ReflectionStoreTests.Reflection("vector", "bounds")],
            null, CancellationToken.None);
        foreach (var stored in extra)
        {
            await store.DeleteAsync(stored.Id, CancellationToken.None);
        }

        await using var command = _db.DataSource.CreateCommand(
            """
            SELECT t.term, t.df, t.max_tf, t.min_doc_length, (SELECT sum(doc_count) FROM reflection_corpus),
                   (SELECT sum(total_length) FROM reflection_corpus), p.tf, p.doc_length
            FROM reflection_terms t JOIN reflection_postings p ON p.term = t.term
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var checkedPostings = 0;
        while (await reader.ReadAsync())
        {
            double df = reader.GetInt64(1), n = (double)reader.GetDecimal(4), avgdl = (double)reader.GetDecimal(5) / n;
            var idf = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
            double tf = reader.GetInt32(6), length = reader.GetInt32(7);
            var contribution = idf * tf * (Bm25Ranking.K1 + 1) / (tf + Bm25Ranking.K1 * (1 - Bm25Ranking.B + Bm25Ranking.B * length / avgdl));
            Assert.That(Bm25Ranking.UpperBound(idf, reader.GetInt32(2), reader.GetInt32(3), avgdl), Is.GreaterThanOrEqualTo(contribution), reader.GetString(0));
            checkedPostings++;
        }
        Assert.That(checkedPostings, Is.GreaterThan(600));
    }

    /// <summary>
    /// BM25 over every row, computed here from the stored term counts; with <paramref name="candidatePostings"/>,
    /// only over the rows containing one of the terms taken in ascending document frequency while their
    /// postings fit it (at least the rarest).
    /// </summary>
    private async Task<List<RankedId>> ReferenceAsync(string query, string? project, int limit, long? candidatePostings = null)
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
        var selecting = terms.ToHashSet();
        if (candidatePostings is { } budget)
        {
            selecting.Clear();
            long postings = 0;
            foreach (var (term, df) in terms.Select(t => (t, docs.Count(d => d.Tf.ContainsKey(t)))).Where(t => t.Item2 > 0).OrderBy(t => t.Item2))
            {
                if (selecting.Count > 0 && postings + df > budget)
                {
                    break;
                }
                selecting.Add(term);
                postings += df;
            }
        }
        return docs
            .Where(d => project is null || d.Project == project)
            .Where(d => d.Tf.Keys.Any(selecting.Contains))
            .Select(d => new RankedId(d.Id, terms.Where(d.Tf.ContainsKey).Sum(t =>
                idf[t] * d.Tf[t] * (Bm25Ranking.K1 + 1) / (d.Tf[t] + Bm25Ranking.K1 * (1 - Bm25Ranking.B + Bm25Ranking.B * d.Length / avgdl)))))
            .Where(r => r.Score > 0)
            .OrderByDescending(r => r.Score).ThenBy(r => r.Id)
            .Take(limit)
            .ToList();
    }
}
