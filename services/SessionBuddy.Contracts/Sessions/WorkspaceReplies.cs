namespace SessionBuddy.Contracts.Sessions;

public sealed record SessionOutputDir(Guid SessionId, string OutputDir, IReadOnlyList<string> Files);

public sealed record SessionLog(Guid SessionId, string LogPath, IReadOnlyList<string> Lines);

public sealed record SessionCleanup(double OlderThanHours, IReadOnlyList<Guid> Deleted, int SkippedActive);

public sealed record SessionFileContent(Guid SessionId, string Path, string Content, long Bytes);

public sealed record SessionFileBytes(Guid SessionId, string Path, byte[] Content);

public sealed record WriteSessionFileReply(Guid SessionId, string Path, long Bytes);

public sealed record SessionFileEntry(string Path, string Type, long Bytes);

public sealed record SessionFileList(Guid SessionId, string Path, IReadOnlyList<SessionFileEntry> Entries);

public sealed record WorkspaceBackendDetails(
    string Name,
    string Kind,
    string? Container,
    string? Root,
    long SessionCount,
    BackendHealth Health);

public sealed record WorkspaceBackendList(IReadOnlyList<WorkspaceBackendDetails> Backends);
