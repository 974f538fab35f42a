using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Contracts.Akosha;

/// <summary>
/// The hub stored results pushed by another system (or by akosha_push_results). Published through AkoshaSync's
/// outbox with only the newly stored results; the Memory service makes them searchable (category akosha_result).
/// </summary>
public sealed record AkoshaResultsReceived(string SystemId, IReadOnlyList<AkoshaReceivedResult> Results, DateTimeOffset ReceivedAt);

/// <summary>One stored result; <see cref="Id"/> is the hub's row id (the Memory store's operation id).</summary>
public sealed record AkoshaReceivedResult(Guid Id, string IdempotencyKey, string? PoolId, WorkerTaskCompleted Result);
