namespace SessionBuddy.Contracts.Sessions;

// Lifecycle events, published through the Sessions service's transactional outbox.

public sealed record SessionStarted(Guid SessionId, string WorkingDirectory, string? Project, DateTimeOffset StartedAt);

/// <summary>
/// <see cref="SizeBytes"/>: UTF-8 bytes of the checkpoint as stored (summary, state, quality breakdown);
/// <see cref="Project"/>: the session's project.
/// </summary>
public sealed record CheckpointCreated(
    Guid SessionId, Guid CheckpointId, long Sequence, int QualityScore, DateTimeOffset CreatedAt, long SizeBytes = 0, string? Project = null);

public sealed record SessionEnded(Guid SessionId, int QualityScore, string HandoffPath, DateTimeOffset EndedAt);

public sealed record SessionResumed(Guid SessionId, Guid? CheckpointId, DateTimeOffset ResumedAt);
