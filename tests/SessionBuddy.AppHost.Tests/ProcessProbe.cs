using System.Text;

namespace SessionBuddy.AppHost.Tests;

/// <summary>Looks through /proc for processes carrying a marker in their environment (what ps would show, with certainty about ownership).</summary>
internal static class ProcessProbe
{
    /// <summary>Every process started for <paramref name="dataDirectory"/> (the AppHost marks its children with it).</summary>
    public static IReadOnlyList<string> ProcessesOwnedBy(string dataDirectory) =>
        WithEnvironmentEntry($"SESSIONBUDDY_APPHOST_OWNER={Path.GetFullPath(dataDirectory)}");

    /// <summary>"pid command line" of every live process whose environment contains <paramref name="entry"/>.</summary>
    public static IReadOnlyList<string> WithEnvironmentEntry(string entry) =>
        [.. Find(entry).Select(p => $"{p.Pid} {p.CommandLine}")];

    /// <summary>Every live process whose environment contains <paramref name="entry"/>, with its whole environment.</summary>
    public static IReadOnlyList<ProcessInfo> Find(string entry)
    {
        var found = new List<ProcessInfo>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                {
                    continue;
                }
                var environ = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "environ"))).Split('\0');
                if (environ.Contains(entry))
                {
                    var variables = new Dictionary<string, string>();
                    foreach (var variable in environ.Where(e => e.Contains('=')))
                    {
                        variables.TryAdd(variable[..variable.IndexOf('=')], variable[(variable.IndexOf('=') + 1)..]);
                    }
                    found.Add(new ProcessInfo(pid, File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim(), variables));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Exited while we looked.
            }
        }
        return found;
    }
}

internal sealed record ProcessInfo(int Pid, string CommandLine, IReadOnlyDictionary<string, string> Environment);
