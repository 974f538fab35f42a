using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.Memory;

/// <summary>Background optimisation settings, bound from <c>Memory:Optimization</c>.</summary>
public sealed class OptimizationOptions
{
    public const string SectionName = "Memory:Optimization";

    /// <summary>Run on a schedule; optimize_memories runs it on demand either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between scheduled runs: one run per slot of this length, slots counted from the Unix epoch (every 6 hours: 00:00, 06:00, ... UTC), whatever the number of replicas.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Cosine similarity at or above which two memories of one project and category are merged.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "must be in (0, 1]")]
    public double SimilarityThreshold { get; set; } = 0.95;

    /// <summary>A memory not found by any search for this long (or never, since it was stored) is stale.</summary>
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
    public double StaleAfterDays { get; set; } = 90;

    /// <summary>Relevance halves with every this many days without a search hit.</summary>
    [Range(0.0, double.MaxValue, MinimumIsExclusive = true)]
    public double DecayHalfLifeDays { get; set; } = 30;

    /// <summary>New memories compared with their neighbours per run; the rest wait for the next run.</summary>
    [Range(1, int.MaxValue)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>
    /// Categories never merged: each worker execution is a record of its own, and patterns have their own
    /// identity (their name).
    /// </summary>
    public string[] ExcludedCategories { get; set; } = ["worker_execution", "pattern"];
}
