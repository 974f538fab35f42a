using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Contracts.Akosha;

/// <summary>
/// The hub stored items pushed by another system (or by akosha_push_results). Published through AkoshaSync's
/// outbox with only the newly stored items; the Memory service makes them searchable (category akosha_result, the
/// item's kind in metadata <c>kind</c>). <see cref="Reflections"/> and <see cref="SessionSummaries"/> come from
/// systems with Akosha:ForwardReflections / Akosha:ForwardSessionSummaries.
/// </summary>
public sealed record AkoshaResultsReceived(
    string SystemId,
    IReadOnlyList<AkoshaReceivedResult> Results,
    DateTimeOffset ReceivedAt,
    IReadOnlyList<AkoshaReceivedReflection>? Reflections = null,
    IReadOnlyList<AkoshaReceivedSessionSummary>? SessionSummaries = null);

/// <summary>One stored result; <see cref="Id"/> is the hub's row id (the Memory store's operation id).</summary>
public sealed record AkoshaReceivedResult(Guid Id, string IdempotencyKey, string? PoolId, WorkerTaskCompleted Result);

public sealed record AkoshaReceivedReflection(Guid Id, string IdempotencyKey, AkoshaReflection Reflection);

public sealed record AkoshaReceivedSessionSummary(Guid Id, string IdempotencyKey, AkoshaSessionSummary Session);

/// <summary>A reflection as a system pushes it to the hub (item kind <c>reflection</c>).</summary>
public sealed record AkoshaReflection(
    Guid ReflectionId, string Content, IReadOnlyList<string>? Tags, string? Project, string? SessionId, DateTimeOffset CreatedAt);

/// <summary>An ended session's summary as a system pushes it to the hub (item kind <c>session_summary</c>).</summary>
public sealed record AkoshaSessionSummary(
    Guid SessionId, string? Name, string? Project, string Summary, int QualityScore, double? DurationSeconds, DateTimeOffset EndedAt);

/// <summary>The kinds of items the hub stores (metadata <c>kind</c> of their memories; search_all_systems' kind filter).</summary>
public static class AkoshaItemKinds
{
    public const string WorkerResult = "worker_result";
    public const string Reflection = "reflection";
    public const string SessionSummary = "session_summary";

    public static readonly IReadOnlyList<string> All = [WorkerResult, Reflection, SessionSummary];
}
