namespace SessionBuddy.Contracts.Memory;

/// <summary>Runs the memory optimisation now (the same run the schedule starts) and reports it.</summary>
public sealed record OptimizeMemories(Guid OperationId);

/// <summary>Counts, stale items, merges and the last optimisation run; for one project when given.</summary>
public sealed record GetMemoryHealth(string? Project = null);

/// <summary>
/// One optimisation run: near-duplicates merged (the survivor keeps the merged content under
/// metadata.merged_from), items whose last use is older than the stale age, access rows tidied.
/// </summary>
public sealed record MemoryOptimizationReport(
    Guid RunId,
    string Trigger,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    long ItemsChecked,
    long DuplicatesMerged,
    IReadOnlyList<MergedMemory> Merges,
    long StaleItems);

public sealed record MergedMemory(Guid MergedId, Guid SurvivorId, double Similarity, string Category, string? Project);

/// <summary>
/// <see cref="Relevance"/> decays with time since last use (half-life Memory:Optimization:DecayHalfLifeDays)
/// and grows with the number of search hits.
/// </summary>
public sealed record StaleMemory(Guid Id, string Category, string? Project, string Preview, DateTimeOffset LastUsed, long AccessCount, double Relevance);

public sealed record MemoryHealth(
    string? Project,
    long TotalMemories,
    long EmbeddedMemories,
    IReadOnlyList<NamedCount> Categories,
    long AccessedMemories,
    long TotalAccesses,
    long StaleItems,
    IReadOnlyList<StaleMemory> StaleSamples,
    long DuplicatesMerged,
    MemoryOptimizationReport? LastRun,
    double StaleAfterDays,
    double SimilarityThreshold,
    double ScheduleIntervalMinutes);

public static class OptimizationTriggers
{
    public const string Schedule = "schedule";
    public const string Manual = "manual";
}
