using System.Text.Json;

namespace SessionBuddy.Contracts.Sessions;

/// <summary>One scored signal: <paramref name="Points"/> of at most <paramref name="MaxPoints"/>, and why.</summary>
public sealed record QualitySignal(string Name, int Points, int MaxPoints, string Detail);

public sealed record CheckpointDetails(
    Guid Id,
    Guid SessionId,
    long Sequence,
    string? Summary,
    int QualityScore,
    IReadOnlyList<QualitySignal> QualityBreakdown,
    JsonElement State,
    DateTimeOffset CreatedAt);

public sealed record CheckpointList(Guid SessionId, IReadOnlyList<CheckpointDetails> Checkpoints);

public sealed record BackendHealth(string Name, string Kind, bool Healthy, string Detail);

public sealed record SessionStatusReport(
    SessionDetails Session,
    long CheckpointCount,
    CheckpointDetails? LastCheckpoint,
    IReadOnlyList<int> QualityTrend,
    BackendHealth Backend);

public sealed record SessionHandoff(SessionDetails Session, CheckpointDetails FinalCheckpoint, string HandoffPath);

public sealed record SessionResumption(SessionDetails Session, CheckpointDetails? Checkpoint, string? HandoffPath);

public sealed record SessionExport(Guid SessionId, string Format, string Content);

/// <summary>The whole of a session as export_session(format=json) writes it.</summary>
public sealed record SessionExportDocument(
    int Version,
    SessionDetails Session,
    IReadOnlyList<MessageDetails> Messages,
    IReadOnlyList<CheckpointDetails> Checkpoints);
