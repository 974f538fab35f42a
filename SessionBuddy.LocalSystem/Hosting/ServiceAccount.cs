using System.Diagnostics;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// PostgreSQL refuses to run as root and Debian's RabbitMQ expects its own user, so when the AppHost
/// runs as root their directories belong to (and the servers run as) these system accounts.
/// </summary>
public static class ServiceAccount
{
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Creates <paramref name="directories"/> and, when running as root, gives them to <paramref name="user"/>.</summary>
    public static void PrepareDirectories(string user, params string[] directories)
    {
        foreach (var dir in directories)
        {
            Directory.CreateDirectory(dir);
        }
        if (!IsRoot)
        {
            return;
        }
        var psi = new ProcessStartInfo("chown") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-R");
        psi.ArgumentList.Add($"{user}:{user}");
        foreach (var dir in directories)
        {
            psi.ArgumentList.Add(dir);
        }
        using var chown = Process.Start(psi)!;
        var error = chown.StandardError.ReadToEnd();
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown to {user} failed: {error.Trim()}");
        }
    }

    /// <summary>
    /// The server accounts must reach their subdirectories, so a data directory created private
    /// (mode 700, as temporary directories are) gets execute-only access for others.
    /// </summary>
    public static void AllowTraversal(string directory)
    {
        if (!IsRoot || OperatingSystem.IsWindows())
        {
            return;
        }
        var mode = File.GetUnixFileMode(directory);
        File.SetUnixFileMode(directory, mode | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }
}
