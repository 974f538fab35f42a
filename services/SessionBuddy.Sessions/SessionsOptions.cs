using System.ComponentModel.DataAnnotations;

namespace SessionBuddy.Sessions;

/// <summary>Settings of the Sessions service, bound from the "Sessions" configuration section.</summary>
public sealed class SessionsOptions
{
    public const string SectionName = "Sessions";

    /// <summary>Each session's workspace is created at <c>{WorkspaceRoot}/{session id}/</c>.</summary>
    [Required]
    public string WorkspaceRoot { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sessionbuddy", "workspaces");

    /// <summary>Longest message content accepted by add_message, in characters.</summary>
    [Range(1, int.MaxValue)]
    public int MaxMessageLength { get; set; } = 200_000;

    [Range(1, int.MaxValue)]
    public int MaxNameLength { get; set; } = 200;

    /// <summary>Largest file the session file tools read or write, in bytes (below the gateway's 4 MiB request limit, so this limit is the one callers meet).</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>The docker-compatible CLI (docker or podman, a name on PATH or a full path) of container backends.</summary>
    [Required(ErrorMessage = "must name the docker or podman CLI")]
    public string ContainerCli { get; set; } = "docker";

    /// <summary>How long one container CLI call may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ContainerCommandTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
