using System.Text.Json;

namespace SessionBuddy.Contracts.Sessions;

public sealed record SessionDetails(
    Guid Id,
    string Name,
    string? Project,
    string Status,
    string? WorkingDirectory,
    string WorkspaceDir,
    string OutputDir,
    JsonElement Metadata,
    long MessageCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>Sessions in the order they were requested.</summary>
public sealed record SessionBatch(IReadOnlyList<SessionDetails> Sessions);

public sealed record SessionPage(IReadOnlyList<SessionDetails> Sessions, string? NextCursor);

public sealed record SessionDeletion(Guid SessionId, bool Deleted, long MessagesDeleted);

public sealed record MessageDetails(
    Guid Id,
    Guid SessionId,
    long Sequence,
    string Role,
    string Content,
    DateTimeOffset CreatedAt);

public sealed record MessagePage(Guid SessionId, IReadOnlyList<MessageDetails> Messages, string? NextCursor);
