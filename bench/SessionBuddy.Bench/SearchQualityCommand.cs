using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Bench;

/// <summary>
/// search-quality: SciFact (5,183 abstracts, 300 claims) stored as reflections through the Memory
/// service's store, then nDCG@10 and recall@10 per search mode. The claims are split in two (seeded):
/// the hybrid fusion weight is chosen on the tuning half, and every mode is reported on the held-out half
/// (and on all 300), so the chosen weight is not scored on the queries it was chosen on.
/// </summary>
public sealed class SearchQualityCommand : IBenchCommand
{
    private const string Project = "scifact";

    public string Name => "search-quality";

    public string Description => "SciFact nDCG@10 / recall@10 for keyword, semantic and hybrid search; fusion weight tuned on half the claims [--data DIR] [--embedder builtin|hashed] [--weights 0.5,1,2]";

    public async Task<int> RunAsync(string[] args)
    {
        var data = SciFact.Load(args.Option("data"));
        Console.WriteLine($"SciFact: {data.Corpus.Count} documents, {data.Queries.Count} queries with judgements");

        await using var db = await BenchDatabase.CreateAsync(args);
        var embedder = db.Get<ReflectionEmbedder>();
        var cache = EmbeddingCache.Open(args, embedder.Settings);
        Console.WriteLine($"database {db.Name}; embeddings {embedder.Settings.Key} ({embedder.Settings.Dimensions} dims); {cache.Count:N0} cached vectors");

        var documentIds = new Dictionary<Guid, string>();
        var dataSource = db.Get<NpgsqlDataSource>();
        await using (var loaded = dataSource.CreateCommand("SELECT id, content FROM reflections WHERE project = @project"))
        {
            // A kept database (--database) already holds the corpus: searched as it is.
            loaded.Parameters.AddWithValue("project", Project);
            var byContent = data.Corpus.GroupBy(d => d.Text).ToDictionary(g => g.Key, g => g.First().Id);
            await using var reader = await loaded.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                documentIds[reader.GetGuid(0)] = byContent[reader.GetString(1)];
            }
        }
        var clock = Stopwatch.StartNew();
        foreach (var batch in documentIds.Count > 0 ? [] : data.Corpus.Chunk(200))
        {
            var reflections = batch.Select(d => new NewReflection(Guid.NewGuid(), d.Text, [], Project, null, null)).ToList();
            var vectors = await cache.GetAsync(reflections.Select(r => r.Content).ToList(), embedder);
            var outcomes = await db.Get<ReflectionStore>().StoreAsync(reflections, vectors, CancellationToken.None);
            for (var i = 0; i < batch.Length; i++)
            {
                documentIds[outcomes[i].Id] = batch[i].Id;
            }
        }
        Console.WriteLine($"stored {data.Corpus.Count} reflections in {clock.Elapsed.TotalSeconds:F1} s");
        // As autovacuum leaves a store at rest (visibility map set, statistics current), so every run measures the same state.
        await using (var vacuum = dataSource.CreateCommand("VACUUM ANALYZE reflections, reflection_postings, reflection_terms"))
        {
            await vacuum.ExecuteNonQueryAsync();
        }

        // A seeded half of the claims tunes the fusion weight; the other half reports.
        var shuffled = data.Queries.OrderBy(q => q.Id, StringComparer.Ordinal).ToArray();
        new Random(15).Shuffle(shuffled);
        var tuning = shuffled[..(shuffled.Length / 2)];
        var heldOut = shuffled[(shuffled.Length / 2)..];

        var options = db.Get<MemoryOptions>();
        var configured = (Keyword: options.KeywordWeight, Semantic: options.SemanticWeight ?? 1.0);
        var candidates = (args.Option("weights") ?? "0,0.25,0.5,0.75,1,1.25,1.5,2,3")
            .Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => double.Parse(w, CultureInfo.InvariantCulture))
            .ToArray();

        async Task<Evaluation> EvaluateAsync(string mode, (double Keyword, double Semantic) weights, IReadOnlyList<(string Id, string Text)> queries, ReflectionSearch? search = null)
        {
            (options.KeywordWeight, options.SemanticWeight) = weights;
            search ??= db.Get<ReflectionSearch>();
            double ndcg = 0, recall = 0;
            var latencies = new List<double>();
            var cpu = ProcessCpu.Supported ? ProcessCpu.Start() : null;
            foreach (var (queryId, text) in queries)
            {
                var started = Stopwatch.GetTimestamp();
                var results = await search.SearchAsync(new ReflectionQuery(text, 10, null, mode, new SearchFilter(Project)), CancellationToken.None);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var (n, r) = SciFact.Score(results.Results.Select(h => documentIds[h.Id]).ToList(), data.Relevant[queryId]);
                ndcg += n;
                recall += r;
            }
            (options.KeywordWeight, options.SemanticWeight) = configured;
            return new Evaluation(ndcg / queries.Count, recall / queries.Count, new Latencies(latencies, cpu?.Stop()));
        }

        Console.WriteLine();
        Console.WriteLine($"fusion weight (keyword 1 : semantic w) on the tuning half ({tuning.Length} claims):");
        var best = (Weight: configured.Semantic, Ndcg: double.NegativeInfinity);
        foreach (var weight in candidates)
        {
            var ndcg = (await EvaluateAsync(SearchModes.Hybrid, (1.0, weight), tuning)).Ndcg;
            Console.WriteLine($"  w = {weight,-5} nDCG@10 {ndcg:F4}");
            if (ndcg > best.Ndcg)
            {
                best = (weight, ndcg);
            }
        }
        Console.WriteLine($"chosen: w = {best.Weight} (configured: {configured.Keyword}:{configured.Semantic})");

        // Keyword search ranked exactly (no approximation), to print beside the configured one when that approximates.
        var exactKeyword = ActivatorUtilities.CreateInstance<ReflectionSearch>(db.Services, new Bm25Ranking(db.Get<NpgsqlDataSource>()));
        var approximates = options.KeywordCandidatePostings > 0;
        // Semantic ranking by the exact scan, to print beside the configured one when that takes the HNSW
        // index for the project (Memory:ExactSearchMaxShare: the project is the whole store).
        var exactSemanticRanking = ExactVectorRanking(db);
        var exactSemantic = ActivatorUtilities.CreateInstance<ReflectionSearch>(db.Services, exactSemanticRanking);
        var indexed = !await db.Get<VectorRanking>().UsesExactScanAsync(new SearchFilter(Project), CancellationToken.None);
        foreach (var (title, queries) in new[] { ($"held-out half ({heldOut.Length} claims)", heldOut), ($"all {shuffled.Length} claims", shuffled) })
        {
            Console.WriteLine();
            Console.WriteLine(title + "; one client, inside the service (query embedding included), cpu = bench + its PostgreSQL");
            Console.WriteLine($"{"mode",-34} {"nDCG@10",8} {"recall@10",10} {Latencies.Header}");
            var runs = new List<(string, string, (double, double), ReflectionSearch?)>
            {
                (approximates ? $"keyword (BM25, configured: >{options.KeywordCandidatePostings:N0} postings approximated)" : "keyword (BM25, exact)", SearchModes.Keyword, configured, null),
            };
            if (approximates)
            {
                runs.Add(("keyword (BM25, exact)", SearchModes.Keyword, configured, exactKeyword));
            }
            runs.Add((indexed ? "semantic (HNSW index, configured)" : "semantic (exact scan)", SearchModes.Semantic, configured, null));
            if (indexed)
            {
                runs.Add(("semantic (exact scan)", SearchModes.Semantic, configured, exactSemantic));
            }
            runs.AddRange(
            [
                ($"hybrid (RRF 1:{best.Weight}, chosen)", SearchModes.Hybrid, (1.0, best.Weight), null),
                ($"hybrid (RRF {configured.Keyword}:{configured.Semantic}, configured)", SearchModes.Hybrid, configured, null),
            ]);
            if (indexed)
            {
                runs.Add(($"hybrid (RRF {configured.Keyword}:{configured.Semantic}, exact semantic)", SearchModes.Hybrid, configured, exactSemantic));
            }
            runs.Add(("hybrid (RRF 1:1)", SearchModes.Hybrid, (1.0, 1.0), null));
            foreach (var (label, mode, weights, search) in runs)
            {
                var evaluation = await EvaluateAsync(mode, weights, queries, search);
                Console.WriteLine($"{label,-34} {evaluation.Ndcg,8:F4} {evaluation.Recall,10:F4} {evaluation.Latency}");
            }
        }

        await PrintStagesAsync(db, shuffled.Select(q => q.Text).ToList(), exactSemanticRanking);
        return 0;
    }

    /// <summary>The service's semantic ranking with every filter within Memory:ExactSearchMaxRows answered by the exact scan.</summary>
    private static VectorRanking ExactVectorRanking(BenchDatabase db)
    {
        var options = db.Get<MemoryOptions>();
        var exactOptions = new MemoryOptions
        {
            ExactSearchMaxRows = options.ExactSearchMaxRows,
            ExactSearchMaxShare = 1,
            HnswEfSearch = options.HnswEfSearch,
            HnswOverFetch = options.HnswOverFetch,
        };
        return new VectorRanking(db.Get<NpgsqlDataSource>(), exactOptions, db.Get<EmbeddingSettings>());
    }

    /// <summary>
    /// Where a search's time goes: each stage of <see cref="ReflectionSearch"/> on its own, over the same
    /// claims (one client). Hybrid runs the two rankings concurrently after embedding the query.
    /// </summary>
    private static async Task PrintStagesAsync(BenchDatabase db, IReadOnlyList<string> queries, VectorRanking exactSemantic)
    {
        var embedder = db.Get<ReflectionEmbedder>();
        var keyword = db.Get<Bm25Ranking>();
        var semantic = db.Get<VectorRanking>();
        var filter = new SearchFilter(Project);
        var vectors = new List<float[]>();
        foreach (var query in queries)
        {
            vectors.Add((await embedder.EmbedAsync([query], CancellationToken.None)).Vectors![0]);
        }
        var ranked = new List<IReadOnlyList<RankedId>>();

        Console.WriteLine();
        Console.WriteLine($"stages, all {queries.Count} claims, one client");
        Console.WriteLine($"{"stage",-54} {Latencies.Header}");
        var stages = new (string Label, Func<int, Task> Run)[]
        {
            ("query embedding (MiniLM)", i => embedder.EmbedAsync([queries[i]], CancellationToken.None)),
            ("keyword ranking, limit 10", i => keyword.RankAsync(queries[i], filter, 10, CancellationToken.None)),
            ("keyword ranking, depth 50 (hybrid's share)", async i => ranked.Add(await keyword.RankAsync(queries[i], filter, 50, CancellationToken.None))),
            ("semantic ranking, depth 50 (hybrid's share)", i => semantic.RankAsync(vectors[i], filter, 50, CancellationToken.None)),
            ("semantic ranking, depth 50, exact scan", i => exactSemantic.RankAsync(vectors[i], filter, 50, CancellationToken.None)),
            ("loading the 10 results", i => db.Get<ReflectionStore>().LoadAsync(ranked[i].Take(10).Select(r => r.Id).ToList(), CancellationToken.None)),
        };
        foreach (var (label, run) in stages)
        {
            var latencies = new List<double>();
            var cpu = ProcessCpu.Supported ? ProcessCpu.Start() : null;
            for (var i = 0; i < queries.Count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await run(i);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            Console.WriteLine($"{label,-54} {new Latencies(latencies, cpu?.Stop())}");
        }

        // How much of the exact top 10 and top 50 the configured semantic ranking returns (1.0 when it is the exact scan).
        foreach (var depth in new[] { 10, 50 })
        {
            double found = 0;
            for (var i = 0; i < queries.Count; i++)
            {
                var exact = (await exactSemantic.RankAsync(vectors[i], filter, depth, CancellationToken.None)).Select(r => r.Id).ToHashSet();
                var configured = await semantic.RankAsync(vectors[i], filter, depth, CancellationToken.None);
                found += exact.Count == 0 ? 1 : (double)configured.Count(r => exact.Contains(r.Id)) / exact.Count;
            }
            Console.WriteLine($"semantic recall@{depth} of the configured ranking against the exact scan: {found / queries.Count:F4}");
        }
    }

    private sealed record Evaluation(double Ndcg, double Recall, Latencies Latency);

    /// <summary>p50/p95/p99 of one client's calls, and CPU per call of the bench and the processes it started (its PostgreSQL).</summary>
    private sealed class Latencies(List<double> milliseconds, IReadOnlyDictionary<string, double>? cpu)
    {
        private readonly double[] _sorted = [.. milliseconds.Order()];

        public static string Header => $"{"p50 ms",7} {"p95 ms",7} {"p99 ms",7}  cpu ms/call";

        public override string ToString() =>
            $"{Percentile(0.50),7:F1} {Percentile(0.95),7:F1} {Percentile(0.99),7:F1}  " +
            (cpu is null ? "-" : string.Join(" + ", cpu.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value / _sorted.Length:F2}")));

        private double Percentile(double p) => _sorted[Math.Min(_sorted.Length - 1, (int)Math.Ceiling(p * _sorted.Length) - 1)];
    }
}
