namespace SessionBuddy.Contracts.Memory;

/// <summary>
/// Re-embed every memory with the deployment's embedding model (after the model changed): opens the job
/// unless one is open or nothing needs it, and replies with its progress. <see cref="StatusOnly"/> only reports.
/// </summary>
public sealed record ReembedMemories(bool StatusOnly = false);

/// <summary>
/// Where re-embedding stands for the deployment's <see cref="Model"/> (provider/model). <see cref="Total"/>
/// is what the open (or last) job set out to do, <see cref="Remaining"/> the reflections still without a
/// vector of the model; <see cref="VectorsByModel"/> counts reflections by the model of their vector
/// ("none": stored without one).
/// </summary>
public sealed record ReembeddingProgress(
    string Model,
    string State,
    Guid? JobId,
    long Total,
    long Done,
    long Remaining,
    DateTimeOffset? RequestedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<NamedCount> VectorsByModel);

/// <summary>Values of <see cref="ReembeddingProgress.State"/>.</summary>
public static class ReembeddingStates
{
    /// <summary>Every reflection has a vector of the model; no job was ever needed.</summary>
    public const string UpToDate = "up_to_date";

    /// <summary>Some reflections lack a vector of the model and no job is open (status_only).</summary>
    public const string NotStarted = "not_started";

    public const string Running = "running";

    /// <summary>The last job finished; every reflection has a vector of the model.</summary>
    public const string Completed = "completed";
}
