namespace SessionBuddy.Sessions.Sessions;

/// <summary>Settings of the Sessions service, bound from the "Sessions" configuration section.</summary>
public sealed class SessionsOptions
{
    public const string SectionName = "Sessions";

    /// <summary>Each session's workspace is created at <c>{WorkspaceRoot}/{session id}/</c>.</summary>
    public string WorkspaceRoot { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sessionbuddy", "workspaces");

    /// <summary>Longest message content accepted by add_message, in characters.</summary>
    public int MaxMessageLength { get; set; } = 200_000;

    public int MaxNameLength { get; set; } = 200;
}
