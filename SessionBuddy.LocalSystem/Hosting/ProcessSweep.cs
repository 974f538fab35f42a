using System.Text;

namespace SessionBuddy.LocalSystem.Hosting;

/// <summary>
/// Finds processes by their environment in /proc. Daemons such as epmd detach from the process
/// tree, so the environment marker every child inherits is the reliable way to find them.
/// </summary>
public static class ProcessSweep
{
    /// <summary>Process ids whose environment contains every one of <paramref name="entries"/> (KEY=VALUE).</summary>
    public static IReadOnlyList<int> Find(IReadOnlyCollection<string> entries, string? command = null)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                if (command is not null && File.ReadAllText(Path.Combine(dir, "comm")).Trim() != command)
                {
                    continue;
                }
                var environ = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "environ"))).Split('\0');
                if (entries.All(environ.Contains))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone, or not ours to read.
            }
        }
        return found;
    }

    /// <summary>Sends SIGTERM, waits up to <paramref name="grace"/>, then SIGKILLs what is left.</summary>
    public static async Task TerminateAsync(IReadOnlyList<int> pids, TimeSpan grace)
    {
        if (pids.Count == 0)
        {
            return;
        }
        foreach (var pid in pids)
        {
            _ = ChildProcess.Kill(pid, ChildProcess.SigTerm);
        }
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && pids.Any(IsAlive))
        {
            await Task.Delay(50);
        }
        foreach (var pid in pids.Where(IsAlive))
        {
            _ = ChildProcess.Kill(pid, ChildProcess.SigKill);
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
