using System.IO.Compression;
using System.Text.Json;

namespace SessionBuddy.Bench;

/// <summary>The SciFact retrieval set (BEIR test split) from ../shared/data/scifact next to the repository.</summary>
public sealed record SciFact(
    IReadOnlyList<(string Id, string Text)> Corpus,
    IReadOnlyList<(string Id, string Text)> Queries,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Relevant)
{
    public static SciFact Load(string? directory)
    {
        var dir = directory ?? Locate() ?? throw new DirectoryNotFoundException(
            "SciFact not found: pass --data DIR (expected ../shared/data/scifact relative to the repository root).");

        var corpus = new List<(string, string)>();
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(dir, "corpus.jsonl.gz")), CompressionMode.Decompress)))
        {
            while (reader.ReadLine() is { } line)
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                corpus.Add((root.GetProperty("_id").GetString()!, $"{root.GetProperty("title").GetString()} {root.GetProperty("text").GetString()}".Trim()));
            }
        }

        var queries = File.ReadLines(Path.Combine(dir, "queries.jsonl"))
            .Select(line =>
            {
                using var doc = JsonDocument.Parse(line);
                return (doc.RootElement.GetProperty("_id").GetString()!, doc.RootElement.GetProperty("text").GetString()!);
            })
            .ToList();

        var relevant = File.ReadLines(Path.Combine(dir, "qrels.tsv"))
            .Skip(1)
            .Select(line => line.Split('\t'))
            .Where(f => f.Length >= 3 && int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture) > 0)
            .GroupBy(f => f[0])
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, int>)g.ToDictionary(f => f[1], f => int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)));

        return new SciFact(corpus, queries.Where(q => relevant.ContainsKey(q.Item1)).ToList(), relevant);
    }

    /// <summary>Walks up from the working and program directories to the repository root, then to ../shared/data/scifact.</summary>
    private static string? Locate()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SessionBuddy.sln")))
                {
                    var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "scifact"));
                    if (File.Exists(Path.Combine(candidate, "corpus.jsonl.gz")))
                    {
                        return candidate;
                    }
                }
            }
        }
        return null;
    }

    /// <summary>nDCG@k with graded relevance (gain = relevance) and recall@k for one ranked list.</summary>
    public static (double Ndcg, double Recall) Score(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> relevant, int k = 10)
    {
        double dcg = 0;
        var found = 0;
        for (var i = 0; i < Math.Min(k, ranked.Count); i++)
        {
            if (relevant.TryGetValue(ranked[i], out var gain))
            {
                dcg += gain / Math.Log2(i + 2);
                found++;
            }
        }
        var ideal = relevant.Values.OrderByDescending(g => g).Take(k).Select((g, i) => g / Math.Log2(i + 2)).Sum();
        return (ideal > 0 ? dcg / ideal : 0, (double)found / relevant.Count);
    }
}
