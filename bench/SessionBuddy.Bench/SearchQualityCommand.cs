using System.Diagnostics;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Bench;

/// <summary>
/// search-quality: SciFact (5,183 abstracts, 300 claims) stored as reflections through the Memory
/// service's store, then nDCG@10 and recall@10 per search mode. Hybrid is reported with the configured
/// fusion weights and with plain (1:1) RRF, so the effect of the weighting is visible.
/// </summary>
public sealed class SearchQualityCommand : IBenchCommand
{
    private const string Project = "scifact";

    public string Name => "search-quality";

    public string Description => "SciFact nDCG@10 / recall@10 for keyword, semantic and hybrid search [--data DIR]";

    public async Task<int> RunAsync(string[] args)
    {
        var data = SciFact.Load(args.Option("data"));
        Console.WriteLine($"SciFact: {data.Corpus.Count} documents, {data.Queries.Count} queries with judgements");

        await using var db = await BenchDatabase.CreateAsync(args);
        var embedder = db.Get<ReflectionEmbedder>();
        Console.WriteLine($"database {db.Name}; embeddings {embedder.Settings.Provider}/{embedder.Settings.Model} ({embedder.Settings.Dimensions} dims)");

        var documentIds = new Dictionary<Guid, string>();
        var clock = Stopwatch.StartNew();
        foreach (var batch in data.Corpus.Chunk(200))
        {
            var reflections = batch.Select(d => new NewReflection(Guid.NewGuid(), d.Text, [], Project, null, null)).ToList();
            var vectors = await embedder.EmbedAsync(reflections.Select(r => r.Content).ToList(), CancellationToken.None);
            var outcomes = await db.Get<ReflectionStore>().StoreAsync(reflections, vectors.Vectors, CancellationToken.None);
            for (var i = 0; i < batch.Length; i++)
            {
                documentIds[outcomes[i].Id] = batch[i].Id;
            }
        }
        Console.WriteLine($"stored {data.Corpus.Count} reflections in {clock.Elapsed.TotalSeconds:F1} s");

        var options = db.Get<MemoryOptions>();
        var weighted = (KeywordWeight: options.KeywordWeight, SemanticWeight: options.SemanticWeight ?? 1.0);
        Console.WriteLine();
        Console.WriteLine($"{"mode",-28} {"nDCG@10",8} {"recall@10",10} {"p50 ms",8}");
        // --weights 1:0.3,1:0.1 adds hybrid runs with other fusion weights (keyword:semantic).
        var extra = (args.Option("weights") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Split(':'))
            .Select(w => (double.Parse(w[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(w[1], System.Globalization.CultureInfo.InvariantCulture)));
        var runs = new List<(string, string, (double, double))>
        {
            ("keyword (BM25)", SearchModes.Keyword, weighted),
            ("semantic", SearchModes.Semantic, weighted),
            ($"hybrid (RRF {weighted.KeywordWeight}:{weighted.SemanticWeight})", SearchModes.Hybrid, weighted),
            ("hybrid (RRF 1:1)", SearchModes.Hybrid, (1.0, 1.0)),
        };
        runs.AddRange(extra.Select(w => ($"hybrid (RRF {w.Item1}:{w.Item2})", SearchModes.Hybrid, w)));
        foreach (var (label, mode, weights) in runs)
        {
            (options.KeywordWeight, options.SemanticWeight) = (weights.Item1, weights.Item2);
            var search = db.Get<ReflectionSearch>();
            double ndcg = 0, recall = 0;
            var latencies = new List<double>();
            foreach (var (queryId, text) in data.Queries)
            {
                var started = Stopwatch.GetTimestamp();
                var results = await search.SearchAsync(new ReflectionQuery(text, 10, null, mode, new SearchFilter(Project)), CancellationToken.None);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                var (n, r) = SciFact.Score(results.Results.Select(h => documentIds[h.Id]).ToList(), data.Relevant[queryId]);
                ndcg += n;
                recall += r;
            }
            latencies.Sort();
            Console.WriteLine($"{label,-28} {ndcg / data.Queries.Count,8:F4} {recall / data.Queries.Count,10:F4} {latencies[latencies.Count / 2],8:F1}");
        }
        (options.KeywordWeight, options.SemanticWeight) = (weighted.KeywordWeight, weighted.SemanticWeight);
        return 0;
    }
}
