namespace SessionBuddy.Memory.Optimization;

/// <summary>Background optimisation settings, bound from <c>Memory:Optimization</c>.</summary>
public sealed class OptimizationOptions
{
    public const string SectionName = "Memory:Optimization";

    /// <summary>Run on a schedule; optimize_memories runs it on demand either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between scheduled runs: one run per slot of this length, slots counted from the Unix epoch (every 6 hours: 00:00, 06:00, ... UTC), whatever the number of replicas.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Cosine similarity at or above which two memories of one project and category are merged.</summary>
    public double SimilarityThreshold { get; set; } = 0.95;

    /// <summary>A memory not found by any search for this long (or never, since it was stored) is stale.</summary>
    public double StaleAfterDays { get; set; } = 90;

    /// <summary>Relevance halves with every this many days without a search hit.</summary>
    public double DecayHalfLifeDays { get; set; } = 30;

    /// <summary>New memories compared with their neighbours per run; the rest wait for the next run.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// Categories never merged: each worker execution is a record of its own, and patterns have their own
    /// identity (their name).
    /// </summary>
    public string[] ExcludedCategories { get; set; } = ["worker_execution", "pattern"];
}
