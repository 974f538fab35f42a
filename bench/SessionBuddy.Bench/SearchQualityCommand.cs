using System.Diagnostics;
using System.Globalization;
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
        var clock = Stopwatch.StartNew();
        foreach (var batch in data.Corpus.Chunk(200))
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

        async Task<(double Ndcg, double Recall, double P50)> EvaluateAsync(string mode, (double Keyword, double Semantic) weights, IReadOnlyList<(string Id, string Text)> queries)
        {
            (options.KeywordWeight, options.SemanticWeight) = weights;
            var search = db.Get<ReflectionSearch>();
            double ndcg = 0, recall = 0;
            var latencies = new List<double>();
            foreach (var (queryId, text) in queries)
            {
                var started = Stopwatch.GetTimestamp();
                var results = await search.SearchAsync(new ReflectionQuery(text, 10, null, mode, new SearchFilter(Project)), CancellationToken.None);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var (n, r) = SciFact.Score(results.Results.Select(h => documentIds[h.Id]).ToList(), data.Relevant[queryId]);
                ndcg += n;
                recall += r;
            }
            latencies.Sort();
            (options.KeywordWeight, options.SemanticWeight) = configured;
            return (ndcg / queries.Count, recall / queries.Count, latencies[latencies.Count / 2]);
        }

        Console.WriteLine();
        Console.WriteLine($"fusion weight (keyword 1 : semantic w) on the tuning half ({tuning.Length} claims):");
        var best = (Weight: configured.Semantic, Ndcg: double.NegativeInfinity);
        foreach (var weight in candidates)
        {
            var (ndcg, _, _) = await EvaluateAsync(SearchModes.Hybrid, (1.0, weight), tuning);
            Console.WriteLine($"  w = {weight,-5} nDCG@10 {ndcg:F4}");
            if (ndcg > best.Ndcg)
            {
                best = (weight, ndcg);
            }
        }
        Console.WriteLine($"chosen: w = {best.Weight} (configured: {configured.Keyword}:{configured.Semantic})");

        foreach (var (title, queries) in new[] { ($"held-out half ({heldOut.Length} claims)", heldOut), ($"all {shuffled.Length} claims", shuffled) })
        {
            Console.WriteLine();
            Console.WriteLine(title);
            Console.WriteLine($"{"mode",-30} {"nDCG@10",8} {"recall@10",10} {"p50 ms",8}");
            var runs = new List<(string, string, (double, double))>
            {
                ("keyword (BM25)", SearchModes.Keyword, configured),
                ("semantic", SearchModes.Semantic, configured),
                ($"hybrid (RRF 1:{best.Weight}, chosen)", SearchModes.Hybrid, (1.0, best.Weight)),
                ($"hybrid (RRF {configured.Keyword}:{configured.Semantic}, configured)", SearchModes.Hybrid, configured),
                ("hybrid (RRF 1:1)", SearchModes.Hybrid, (1.0, 1.0)),
            };
            foreach (var (label, mode, weights) in runs)
            {
                var (ndcg, recall, p50) = await EvaluateAsync(mode, weights, queries);
                Console.WriteLine($"{label,-30} {ndcg,8:F4} {recall,10:F4} {p50,8:F1}");
            }
        }
        return 0;
    }
}
