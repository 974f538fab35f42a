namespace SessionBuddy.Contracts.Akosha;

/// <summary>
/// The push pipeline of this instance. <see cref="Pending"/> counts items waiting (including those that failed and
/// wait for their next attempt, <see cref="Failed"/>); <see cref="CircuitState"/> is closed, open or half_open.
/// </summary>
public sealed record AkoshaSyncStatus(
    bool Configured,
    string? Endpoint,
    string SystemId,
    long Pending,
    long Sent,
    long Failed,
    long DeadLettered,
    string CircuitState,
    DateTimeOffset? LastSuccessAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    bool HubEnabled,
    long HubResults);

/// <summary>What sync_to_akosha did: <see cref="Due"/> items are now due; <see cref="Replayed"/> dead letters re-queued.</summary>
public sealed record AkoshaSyncRequested(string Scope, long Due, long Replayed, AkoshaSyncStatus Status);

/// <summary>An item that failed every attempt, with its last error.</summary>
public sealed record AkoshaDeadLetter(
    Guid Id,
    string IdempotencyKey,
    string Kind,
    string? PoolId,
    string Summary,
    int Attempts,
    string LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset DeadLetteredAt);

public sealed record AkoshaDeadLetters(IReadOnlyList<AkoshaDeadLetter> DeadLetters, long Total);

/// <summary>What akosha_replay did: ids given but not (or no longer) dead-lettered are in <see cref="NotFound"/>.</summary>
public sealed record AkoshaReplayed(long Replayed, IReadOnlyList<Guid> NotFound);

/// <summary>What the hub did with pushed results: stored, already stored (duplicates), or refused with a reason.</summary>
public sealed record AkoshaResultsAccepted(string SystemId, string PoolId, int Stored, int Duplicates, IReadOnlyList<AkoshaRejectedResult> Rejected);

public sealed record AkoshaRejectedResult(string IdempotencyKey, string Error);

public static class AkoshaPushStates
{
    /// <summary>The results are in the outbox; AkoshaSync queues and pushes them.</summary>
    public const string Queued = "queued";

    /// <summary>No Akosha endpoint is configured (Akosha:Endpoint): nothing is pushed.</summary>
    public const string NotConfigured = "not_configured";

    /// <summary>push_to_akosha was false.</summary>
    public const string NotRequested = "not_requested";

    /// <summary>The pool was already shut down; its results were handled by that first shutdown.</summary>
    public const string AlreadyShutDown = "already_shut_down";
}

public static class AkoshaCircuitStates
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";
    public const string Isolated = "isolated";
}

public static class AkoshaSyncScopes
{
    public const string Pending = "pending";
    public const string All = "all";

    public static readonly IReadOnlyList<string> Values = [Pending, All];
}
