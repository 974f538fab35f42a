using System.Diagnostics;

namespace SessionBuddy.AppHost.Local;

/// <summary>
/// PostgreSQL refuses to run as root and Debian's RabbitMQ expects its own user, so when the AppHost
/// runs as root their directories belong to, and the servers run as, these system accounts.
/// </summary>
internal static class ServiceAccount
{
    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>
    /// The command that runs a server as <paramref name="user"/>: as root, setpriv (it execs, so DCP's
    /// process is the server itself and its stop signal reaches it), else the server directly.
    /// </summary>
    public static string Command(string user, out string[] prefix)
    {
        prefix = IsRoot ? [$"--reuid={user}", $"--regid={user}", "--init-groups", "--"] : [];
        return IsRoot ? "setpriv" : "env";
    }

    /// <summary>Creates <paramref name="directories"/> and, as root, gives them to <paramref name="user"/>.</summary>
    public static void PrepareDirectories(string user, params string[] directories)
    {
        foreach (var dir in directories)
        {
            Directory.CreateDirectory(dir);
        }
        if (IsRoot)
        {
            Run("chown", ["-R", $"{user}:{user}", .. directories]);
        }
    }

    /// <summary>The server accounts must reach their folders inside the data folder.</summary>
    public static void AllowTraversal(string directory)
    {
        Directory.CreateDirectory(directory);
        if (IsRoot && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public static async Task RunAsync(string file, IEnumerable<string> args, string workingDirectory, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', psi.ArgumentList)} failed (exit {process.ExitCode}): {await error}{await output}");
        }
    }

    private static void Run(string file, string[] args) => RunAsync(file, args, Environment.CurrentDirectory, CancellationToken.None).GetAwaiter().GetResult();
}
