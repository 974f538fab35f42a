using System.Text.Json;

namespace SessionBuddy.Contracts.Sessions;

// Write commands carry an OperationId chosen by the caller and reused on every retry, so a
// request redelivered after a crash, or retried after a timeout, is applied exactly once.

public sealed record CreateSession(
    Guid OperationId,
    string Name,
    string? Project,
    string? WorkingDirectory,
    JsonElement? Metadata);

/// <summary>Several sessions in one request (e.g. workspaces for a batch of worker tasks); each is applied once by its own OperationId.</summary>
public sealed record CreateSessions(IReadOnlyList<CreateSession> Sessions);

public sealed record GetSession(Guid SessionId);

public sealed record UpdateSession(Guid SessionId, string? Name, string? Status, JsonElement? Metadata);

/// <summary>
/// Several updates applied in one transaction, in order; one refused on its own (unknown session, a
/// transition the status flow does not allow) is left out of the reply and does not stop the others.
/// </summary>
public sealed record UpdateSessions(IReadOnlyList<UpdateSession> Updates);

public sealed record ListSessions(string? Project, string? Status, int Limit, string? Cursor);

public sealed record DeleteSession(Guid SessionId);

public sealed record AddMessage(Guid OperationId, Guid SessionId, string Role, string Content);

public sealed record GetMessages(Guid SessionId, int Limit, string? Cursor);
