using System.Diagnostics;
using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Bench;

/// <summary>
/// reembed: the re-embedding job run from the command line against a kept database (<c>--postgres</c>,
/// <c>--database</c>): opens it like <c>reembed_memories</c>, runs batches in this process and prints progress
/// and rate. Safe beside a running Memory service (batches are claimed with SKIP LOCKED) and after a kill
/// (the next run resumes from the rows).
/// </summary>
public sealed class ReembedCommand : IBenchCommand
{
    public string Name => "reembed";

    public string Description => "re-embed every memory of a database with the configured model, printing progress [--postgres CS --database NAME] [--embedder builtin|hashed] [--status]";

    public async Task<int> RunAsync(string[] args)
    {
        await using var db = await BenchDatabase.CreateAsync(args, new Dictionary<string, string?> { ["Memory:ReembedOnModelChange"] = "false" });
        var reembedding = db.Get<Reembedding>();
        if (!args.Contains("--status"))
        {
            await reembedding.OpenAsync(CancellationToken.None);
        }
        var progress = await reembedding.GetProgressAsync(CancellationToken.None);
        Print(progress);
        if (args.Contains("--status"))
        {
            return 0;
        }

        var clock = Stopwatch.StartNew();
        var report = Stopwatch.StartNew();
        long done = 0;
        for (int batch; (batch = await reembedding.RunBatchAsync(CancellationToken.None)) > 0;)
        {
            done += batch;
            if (report.Elapsed > TimeSpan.FromSeconds(10))
            {
                report.Restart();
                Print(await reembedding.GetProgressAsync(CancellationToken.None));
            }
        }
        Print(await reembedding.GetProgressAsync(CancellationToken.None));
        Console.WriteLine($"re-embedded {done:N0} reflections in {clock.Elapsed.TotalSeconds:F1} s ({done / Math.Max(0.001, clock.Elapsed.TotalSeconds):F1}/s)");
        return 0;
    }

    private static void Print(Contracts.Memory.ReembeddingProgress p) =>
        Console.WriteLine(
            $"{p.Model}: {p.State}, {p.Done:N0} of {p.Total:N0} done, {p.Remaining:N0} remaining; vectors by model: " +
            string.Join(", ", p.VectorsByModel.Select(m => $"{m.Name} {m.Count:N0}")));
}
