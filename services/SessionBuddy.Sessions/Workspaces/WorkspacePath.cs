using SessionBuddy.Messaging;

namespace SessionBuddy.Sessions.Workspaces;

/// <summary>
/// The lexical half of keeping file tools inside a workspace: a path must be relative, must not
/// contain <c>..</c>, NUL or control characters, and is normalised to <c>a/b/c</c>. The other half
/// (symlinks, file types) needs the file system and is done by each backend after this.
/// </summary>
public static class WorkspacePath
{
    private const int MaxLength = 1024;
    private const int MaxSegment = 255;

    /// <summary>Files the service maintains itself; file tools may read them but not change them.</summary>
    public static readonly IReadOnlySet<string> Reserved =
        new HashSet<string>(StringComparer.Ordinal) { SessionWorkspaces.LogFileName, SessionWorkspaces.MetadataFileName };

    /// <returns>The normalised relative path; empty for the workspace itself when <paramref name="allowRoot"/>.</returns>
    public static string Normalize(string? path, bool allowRoot = false)
    {
        if (path is null || (path.Trim().Length == 0 && !allowRoot))
        {
            throw Refused("is required (a path relative to the session workspace)");
        }
        if (path.Length > MaxLength)
        {
            throw Refused($"is {path.Length} characters; the limit is {MaxLength}");
        }
        if (path.Any(char.IsControl))
        {
            throw Refused("contains control characters (such as NUL or newline)");
        }
        if (path.StartsWith('/') || path.StartsWith('\\') || path.StartsWith('~') || (path.Length >= 2 && path[1] == ':') || Path.IsPathRooted(path))
        {
            throw Refused($"'{path}' is absolute; give a path relative to the session workspace");
        }
        var segments = new List<string>();
        foreach (var segment in path.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries))
        {
            switch (segment)
            {
                case ".":
                    continue;
                case "..":
                    throw Refused($"'{path}' contains '..'; paths may not leave the session workspace");
                case { Length: > MaxSegment }:
                    throw Refused($"has a component longer than {MaxSegment} characters");
                default:
                    if (segment.Trim().Length == 0 || segment.Trim('.').Length == 0)
                    {
                        throw Refused($"'{path}' has a component made only of dots or spaces");
                    }
                    segments.Add(segment);
                    break;
            }
        }
        if (segments.Count == 0 && !allowRoot)
        {
            throw Refused($"'{path}' names the workspace itself; give a file path");
        }
        return string.Join('/', segments);
    }

    public static void EnsureWritable(string relative)
    {
        if (Reserved.Contains(relative))
        {
            throw Refused($"'{relative}' is maintained by the Sessions service and cannot be changed by file tools");
        }
    }

    public static RequestRejectedException Refused(string message) => RequestRejectedException.InvalidArgument("path", message);
}
