namespace SessionBuddy.Contracts.Sessions;

// Published through the Sessions service's transactional outbox; the MessageId of each
// published event is the outbox row id, so consumers de-duplicate on it.

public sealed record SessionCreated(Guid SessionId, string Name, string? Project, DateTimeOffset CreatedAt);

public sealed record MessageAdded(Guid SessionId, Guid MessageId, string Role, int ContentLength, DateTimeOffset CreatedAt);

public sealed record SessionDeleted(Guid SessionId, DateTimeOffset DeletedAt);

/// <summary>
/// A session's status changed (update_session, update_sessions, start, end, resume). It carries what a
/// consumer needs to judge the session on its own, whatever order events of one session arrive in:
/// when it was created and started (null: never started explicitly).
/// </summary>
public sealed record SessionStatusChanged(
    Guid SessionId,
    string? Project,
    string From,
    string To,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset ChangedAt);

public static class SessionStatuses
{
    public const string Created = "created";
    public const string Starting = "starting";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Created, Starting, Running, Completed, Failed];
}

public static class MessageRoles
{
    public static readonly IReadOnlyList<string> All = ["user", "assistant", "system", "tool"];
}
