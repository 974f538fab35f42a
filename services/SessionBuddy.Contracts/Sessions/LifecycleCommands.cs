namespace SessionBuddy.Contracts.Sessions;

// Lifecycle of a development session: start, checkpoints, end with a handoff, resume, export.

public sealed record StartSession(Guid OperationId, string WorkingDirectory, string? Project);

public sealed record CreateCheckpoint(Guid OperationId, Guid SessionId, string? Summary);

public sealed record EndSession(Guid OperationId, Guid SessionId, string? Summary);

public sealed record GetSessionStatus(Guid SessionId);

public sealed record ListCheckpoints(Guid SessionId);

public sealed record ResumeSession(Guid SessionId, Guid? CheckpointId);

public sealed record ExportSession(Guid SessionId, string Format);

public static class ExportFormats
{
    public const string Json = "json";
    public const string Markdown = "markdown";

    public static readonly IReadOnlyList<string> All = [Json, Markdown];
}
