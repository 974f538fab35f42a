namespace SessionBuddy.Contracts.Sessions;

// Lifecycle events, published through the Sessions service's transactional outbox.

public sealed record SessionStarted(Guid SessionId, string WorkingDirectory, string? Project, DateTimeOffset StartedAt);

/// <summary>
/// <see cref="SizeBytes"/>: UTF-8 bytes of the checkpoint as stored (summary, state, quality breakdown);
/// <see cref="Project"/>: the session's project.
/// </summary>
public sealed record CheckpointCreated(
    Guid SessionId, Guid CheckpointId, long Sequence, int QualityScore, DateTimeOffset CreatedAt, long SizeBytes = 0, string? Project = null);

/// <summary>
/// <see cref="Summary"/>: the summary given to end_session (null when none); <see cref="DurationSeconds"/>: from start
/// to end. Name, project, summary and duration were added later: events from older publishers lack them.
/// </summary>
public sealed record SessionEnded(
    Guid SessionId, int QualityScore, string HandoffPath, DateTimeOffset EndedAt,
    string? Name = null, string? Project = null, string? Summary = null, double? DurationSeconds = null);

public sealed record SessionResumed(Guid SessionId, Guid? CheckpointId, DateTimeOffset ResumedAt);
