using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Bench;

/// <summary>
/// search-speed: stores N reflections (default 100,000) across 20 projects through the Memory service's
/// batched store with the built-in embedder, then measures ingest rate, search latency per mode with and
/// without a project filter (inside the service: ReflectionSearch, no bus), and recall@10 of the semantic
/// path (HNSW, or exact through the filter indexes for a selective filter) against an exact sequential scan of the same rows. Contents are 2-4 sentences drawn (seeded) from SciFact,
/// queries are SciFact claims, so vocabulary and lengths are those of real text.
/// </summary>
public sealed partial class SearchSpeedCommand : IBenchCommand
{
    private const int Projects = 20;
    private const int Limit = 10;
    private const double TieEpsilon = 1e-6;
    private const double AnnBenchmarksEpsilon = 1e-3;

    // The exact neighbours: the same predicate without any index (sequential scan and sort).
    private const string ExactSql =
        $"""
        SELECT r.id, r.embedding <=> @vector::real[]::vector FROM reflections r
        WHERE r.embedding IS NOT NULL AND {SearchFilter.Sql}
        ORDER BY r.embedding <=> @vector::real[]::vector, r.id
        LIMIT @limit
        """;

    public string Name => "search-speed";

    public string Description => "ingest rate, search p50/p95/p99 and semantic recall@10 on 100,000 reflections [--count N] [--queries N] [--batch N] [--writers N] [--ef-search 100,200] [--keyword-budget 5000,20000] [--keyword-rescored 50,100]";

    public async Task<int> RunAsync(string[] args)
    {
        var count = int.Parse(args.Option("count") ?? "100000", CultureInfo.InvariantCulture);
        var queryCount = int.Parse(args.Option("queries") ?? "200", CultureInfo.InvariantCulture);
        var batchSize = int.Parse(args.Option("batch") ?? "500", CultureInfo.InvariantCulture);
        var writers = int.Parse(args.Option("writers") ?? "2", CultureInfo.InvariantCulture);

        var data = SciFact.Load(args.Option("data"));
        var sentences = data.Corpus.SelectMany(d => SentenceEnd().Split(d.Text)).Where(s => s.Length >= 40).ToArray();
        var random = new Random(20_26);
        var contents = Enumerable.Range(0, count)
            .Select(i => (Project: $"project-{i % Projects:D2}", Text: string.Join(" ", Enumerable.Range(0, random.Next(2, 5)).Select(_ => sentences[random.Next(sentences.Length)]))))
            .ToArray();
        var queries = data.Queries.Select(q => q.Text).Take(queryCount).ToArray();

        await using var db = await BenchDatabase.CreateAsync(args);
        var embedder = db.Get<ReflectionEmbedder>();
        var store = db.Get<ReflectionStore>();
        Console.WriteLine($"database {db.Name}; embeddings {embedder.Settings.Provider}/{embedder.Settings.Model} ({embedder.Settings.Dimensions} dims)");

        await using (var loaded = db.Get<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM reflections"))
        {
            if ((long)(await loaded.ExecuteScalarAsync())! > 0)
            {
                // A kept database (--database) already holds the corpus: measure search only.
                Console.WriteLine("database already loaded: ingest skipped");
                count = 0;
            }
        }

        if (count > 0)
        {
            await IngestAsync(contents, embedder, store, EmbeddingCache.Open(args, embedder.Settings), batchSize, writers,
                int.Parse(args.Option("measure") ?? "2500", CultureInfo.InvariantCulture));
        }

        await using (var analyze = db.Get<NpgsqlDataSource>().CreateCommand("VACUUM ANALYZE reflections, reflection_postings, reflection_terms"))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        var search = db.Get<ReflectionSearch>();
        // Warm-up: caches and plans, not measured.
        foreach (var q in queries.Take(20))
        {
            await search.SearchAsync(new ReflectionQuery(q, Limit, null, SearchModes.Hybrid, SearchFilter.None), CancellationToken.None);
        }

        Console.WriteLine();
        Console.WriteLine($"{"search (limit 10)",-30} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8}");
        foreach (var mode in new[] { SearchModes.Hybrid, SearchModes.Semantic, SearchModes.Keyword })
        {
            foreach (var filtered in new[] { false, true })
            {
                var latencies = new List<double>(queries.Length);
                for (var i = 0; i < queries.Length; i++)
                {
                    var filter = Filter(filtered, i);
                    var started = Stopwatch.GetTimestamp();
                    await search.SearchAsync(new ReflectionQuery(queries[i], Limit, null, mode, filter), CancellationToken.None);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                latencies.Sort();
                var label = $"{mode}{(filtered ? " + project filter" : "")}";
                Console.WriteLine($"{label,-30} {Percentile(latencies, 0.50),8:F1} {Percentile(latencies, 0.95),8:F1} {Percentile(latencies, 0.99),8:F1}");
            }
        }

        Console.WriteLine();
        await StoreLatencyAsync(sentences, embedder, store, search, int.Parse(args.Option("stores") ?? "200", CultureInfo.InvariantCulture));

        Console.WriteLine();
        await CompareKeywordAsync(db.Get<NpgsqlDataSource>(), db.Get<MemoryOptions>(), queries, args.Option("keyword-budget"), args.Option("keyword-rescored"));

        Console.WriteLine();
        var semantic = db.Get<VectorRanking>();
        var options = db.Get<MemoryOptions>();
        var recallQueries = queries.Take(Math.Min(100, queries.Length)).ToArray();
        var vectorsOf = (await embedder.EmbedAsync(recallQueries, CancellationToken.None)).Vectors!;
        // --ef-search 100,200 measures recall at other HNSW candidate-list sizes (default: the configured one).
        var efValues = (args.Option("ef-search") ?? options.HnswEfSearch.ToString(CultureInfo.InvariantCulture))
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var configured = options.HnswEfSearch;
        foreach (var filtered in new[] { false, true })
        {
            var exact = new List<List<(Guid Id, double Distance)>>();
            for (var i = 0; i < recallQueries.Length; i++)
            {
                exact.Add(await ExactAsync(db.Get<NpgsqlDataSource>(), vectorsOf[i], Filter(filtered, i)));
            }
            foreach (var ef in efValues)
            {
                options.HnswEfSearch = ef;
                double recall = 0, tieRecall = 0, annRecall = 0;
                var latencies = new List<double>();
                for (var i = 0; i < recallQueries.Length; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var returned = await semantic.RankAsync(vectorsOf[i], Filter(filtered, i), Limit, CancellationToken.None);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    var approximate = returned.Select(r => r.Id).ToHashSet();
                    recall += exact[i].Count == 0 ? 1 : (double)exact[i].Count(e => approximate.Contains(e.Id)) / exact[i].Count;
                    // ANN-benchmarks recall: a returned row counts when it is no farther than the exact k-th
                    // neighbour (ties at the k-th distance are interchangeable; which of them an exact
                    // scan lists is arbitrary).
                    tieRecall += DistanceRecall(exact[i], returned, TieEpsilon);
                    // The same with ANN-benchmarks' default slack (knn_threshold, epsilon 1e-3 on the distance).
                    annRecall += DistanceRecall(exact[i], returned, AnnBenchmarksEpsilon);
                }
                latencies.Sort();
                Console.WriteLine(
                    $"semantic recall@10 vs exact scan{(filtered ? " (project filter)" : "")}, ef_search {ef}: " +
                    $"same ids {recall / recallQueries.Length:F4}, distance <= exact 10th + 1e-6 {tieRecall / recallQueries.Length:F4}, " +
                    $"+ 1e-3 {annRecall / recallQueries.Length:F4} over {recallQueries.Length} queries (semantic p50 {Percentile(latencies, 0.5):F1} ms)");
            }
        }
        options.HnswEfSearch = configured;
        return 0;
    }

    /// <summary>
    /// Loads the corpus and measures ingest against its two floors, on the full-size store. The first
    /// reflections are stored with vectors from the bench's embedding cache (embedded once, on the first
    /// run). Then, with the same batches and writers: the bare SQL insert rate (the store with all its
    /// indexes, vectors ready) over the next <paramref name="measure"/>; the bare embedding rate (the
    /// service's embedder, no database) over the last <paramref name="measure"/> texts; and ingest as the
    /// service does it (embed, then store) over those same last texts. Embedding and inserting share the
    /// cores, so the floors allow together one over the sum of their costs per reflection.
    /// </summary>
    private static async Task IngestAsync(
        (string Project, string Text)[] contents, ReflectionEmbedder embedder, ReflectionStore store, EmbeddingCache cache,
        int batchSize, int writers, int measure)
    {
        var count = contents.Length;
        measure = Math.Min(measure, count / 4);
        var bulk = count - 2 * measure;
        NewReflection[] Batch(int from, int to) =>
            [.. contents[from..to].Select(c => new NewReflection(Guid.NewGuid(), c.Text, [], c.Project, null, null))];

        // Runs work over [from, to) in batches, writers taking batches in order; returns reflections per second.
        async Task<double> RunAsync(string label, int from, int to, Func<NewReflection[], Task> work)
        {
            var next = -1;
            var clock = Stopwatch.StartNew();
            var progress = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
            {
                for (var b = Interlocked.Increment(ref next); from + b * batchSize < to; b = Interlocked.Increment(ref next))
                {
                    await work(Batch(from + b * batchSize, Math.Min(to, from + (b + 1) * batchSize)));
                    if (progress.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        progress.Restart();
                        Console.WriteLine($"  {label}: {Math.Min(to - from, (b + 1) * batchSize):N0} of {to - from:N0}, {(b + 1) * batchSize / clock.Elapsed.TotalSeconds:F0}/s");
                    }
                }
            })));
            return (to - from) / clock.Elapsed.TotalSeconds;
        }

        Console.WriteLine($"loading {bulk:N0} reflections in {Projects} projects (vectors from the embedding cache, {cache.Count:N0} cached)...");
        var cacheFill = await RunAsync("embedding uncached texts", 0, bulk + measure, async batch => await cache.GetAsync([.. batch.Select(r => r.Content)], embedder));
        Console.WriteLine($"embedding cache ready ({cache.Count:N0} vectors; {cacheFill:F0} texts/s incl. cached)");
        var load = await RunAsync("bulk load", 0, bulk, async batch => await store.StoreAsync(batch, await cache.GetAsync([.. batch.Select(r => r.Content)], embedder), CancellationToken.None));
        Console.WriteLine($"bulk load: {bulk:N0} reflections at {load:F0}/s (SQL only)");

        var insertFloor = await RunAsync("SQL insert floor", bulk, bulk + measure,
            async batch => await store.StoreAsync(batch, await cache.GetAsync([.. batch.Select(r => r.Content)], embedder), CancellationToken.None));
        var embedFloor = await RunAsync("embedding floor", bulk + measure, count,
            async batch => _ = (await embedder.EmbedAsync([.. batch.Select(r => r.Content)], CancellationToken.None)).Vectors ?? throw new InvalidOperationException("no embeddings"));
        var ingest = await RunAsync("ingest", bulk + measure, count, async batch =>
        {
            var vectors = await embedder.EmbedAsync([.. batch.Select(r => r.Content)], CancellationToken.None);
            await store.StoreAsync(batch, vectors.Vectors, CancellationToken.None);
        });
        var together = 1 / (1 / embedFloor + 1 / insertFloor);
        Console.WriteLine();
        Console.WriteLine($"ingest (embed + store, {writers} writers, batches of {batchSize}, at {bulk + measure:N0}-{count:N0} stored): {ingest:F1} reflections/s");
        Console.WriteLine($"  floor: bare embedding {embedFloor:F1} texts/s ({embedder.Settings.Key}, same texts)");
        Console.WriteLine($"  floor: bare SQL insert {insertFloor:F1} rows/s (with its indexes, at {bulk:N0}-{bulk + measure:N0} stored)");
        Console.WriteLine($"  together they allow {together:F1}/s; ingest = {ingest / together:P0} of that");
    }

    /// <summary>
    /// store_reflection as its consumer runs it (embed, then store), one client, reflections of 50 words
    /// made of SciFact sentences, on the loaded store; after each store a semantic search with the same
    /// text in its project must return it first (found in the very next call).
    /// </summary>
    private static async Task StoreLatencyAsync(string[] sentences, ReflectionEmbedder embedder, ReflectionStore store, ReflectionSearch search, int stores)
    {
        var random = new Random(50);
        var latencies = new List<double>(stores);
        var found = 0;
        for (var i = 0; i < stores; i++)
        {
            var words = new List<string>();
            while (words.Count < 50)
            {
                words.AddRange(sentences[random.Next(sentences.Length)].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            var content = string.Join(' ', words.Take(50)) + $" (note {i})";
            var project = $"store-latency-{i % 4}";
            var started = Stopwatch.GetTimestamp();
            var vectors = await embedder.EmbedAsync([content], CancellationToken.None);
            var outcome = (await store.StoreAsync([new NewReflection(Guid.NewGuid(), content, [], project, null, null)], vectors.Vectors, CancellationToken.None))[0];
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var results = await search.SearchAsync(new ReflectionQuery(content, 1, null, SearchModes.Semantic, new SearchFilter(project)), CancellationToken.None);
            found += results.Results.Count == 1 && results.Results[0].Id == outcome.Id ? 1 : 0;
        }
        latencies.Sort();
        Console.WriteLine(
            $"store_reflection, 50 words, one client (embed + store): p50 {Percentile(latencies, 0.5):F1} ms, p95 {Percentile(latencies, 0.95):F1} ms, " +
            $"p99 {Percentile(latencies, 0.99):F1} ms over {stores}; found first by semantic search in the next call: {found}/{stores}");
    }

    /// <summary>
    /// Keyword search's approximation (Memory:KeywordCandidatePostings) against exact BM25 over the same
    /// queries, without and with a project filter: latency of both, and how much of the exact top 10 the
    /// approximate list keeps (same ids, and its share of the exact top 10's summed BM25 score).
    /// --keyword-budget 5000,20000 and --keyword-rescored 50,100 compare other settings (default: the configured ones).
    /// </summary>
    private static async Task CompareKeywordAsync(NpgsqlDataSource dataSource, MemoryOptions options, string[] queries, string? budgets, string? rescoredCounts)
    {
        var values = (budgets ?? options.KeywordCandidatePostings.ToString(CultureInfo.InvariantCulture))
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).Where(v => v > 0).ToArray();
        if (values.Length == 0)
        {
            Console.WriteLine("no keyword approximation to compare (budget 0 = exact BM25); --keyword-budget N compares one");
            return;
        }

        var rescored = (rescoredCounts ?? options.KeywordRescoredCandidates.ToString(CultureInfo.InvariantCulture))
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var settings = values.SelectMany(b => rescored.Select(r => new Bm25Approximation(b, r))).ToArray();
        var exact = new Bm25Ranking(dataSource);
        foreach (var filtered in new[] { false, true })
        {
            var truth = new List<IReadOnlyList<RankedId>>(queries.Length);
            var exactLatencies = new List<double>(queries.Length);
            for (var i = 0; i < queries.Length; i++)
            {
                var started = Stopwatch.GetTimestamp();
                truth.Add(await exact.RankAsync(queries[i], Filter(filtered, i), Limit, CancellationToken.None));
                exactLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            exactLatencies.Sort();
            var label = filtered ? "keyword + project filter" : "keyword";
            Console.WriteLine($"{label}, exact BM25: p50 {Percentile(exactLatencies, 0.5):F1} ms, p95 {Percentile(exactLatencies, 0.95):F1} ms");
            foreach (var setting in settings)
            {
                var approximate = new Bm25Ranking(dataSource, approximation: setting);
                var latencies = new List<double>(queries.Length);
                double overlap = 0, scoreShare = 0;
                for (var i = 0; i < queries.Length; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var returned = await approximate.RankAsync(queries[i], Filter(filtered, i), Limit, CancellationToken.None);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    var ids = returned.Select(r => r.Id).ToHashSet();
                    var best = truth[i].Sum(r => r.Score);
                    overlap += truth[i].Count == 0 ? 1 : (double)truth[i].Count(r => ids.Contains(r.Id)) / truth[i].Count;
                    scoreShare += best <= 0 ? 1 : Math.Min(1, returned.Sum(r => r.Score) / best);
                }
                latencies.Sort();
                Console.WriteLine(
                    $"{label}, candidates from {setting.CandidatePostings:N0} postings, best {setting.RescoredCandidates} rescored: p50 {Percentile(latencies, 0.5):F1} ms, " +
                    $"p95 {Percentile(latencies, 0.95):F1} ms; same ids as exact top 10 {overlap / queries.Length:F3}, " +
                    $"share of exact top-10 score {scoreShare / queries.Length:F3}");
            }
        }
    }

    private static async Task<List<(Guid Id, double Distance)>> ExactAsync(NpgsqlDataSource dataSource, float[] vector, SearchFilter filter)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync();
        }
        await using var command = new NpgsqlCommand(filter.Apply(ExactSql), connection, transaction);
        command.Parameters.AddWithValue("vector", vector);
        command.Parameters.AddWithValue("limit", Limit);
        filter.AddParameters(command.Parameters);
        var ids = new List<(Guid, double)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add((reader.GetGuid(0), reader.GetDouble(1)));
        }
        return ids;
    }

    /// <summary>Share of the exact top k matched by returned rows no farther than the exact k-th distance plus epsilon.</summary>
    private static double DistanceRecall(List<(Guid Id, double Distance)> exact, IReadOnlyList<RankedId> returned, double epsilon) =>
        exact.Count == 0 ? 1 : (double)Math.Min(exact.Count, returned.Count(r => 1 - r.Score <= exact[^1].Distance + epsilon)) / exact.Count;

    private static SearchFilter Filter(bool filtered, int query) => filtered ? new SearchFilter($"project-{query % Projects:D2}") : SearchFilter.None;

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();
}
