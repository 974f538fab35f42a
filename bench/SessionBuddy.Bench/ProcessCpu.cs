using System.Globalization;

namespace SessionBuddy.Bench;

/// <summary>
/// CPU time spent by this benchmark and every process it started (services, PostgreSQL backends,
/// RabbitMQ), grouped by what each process is. CPU per call is what bounds throughput on a small
/// machine, and unlike latency it barely moves when other work shares the cores.
/// </summary>
public sealed class ProcessCpu
{
    private static readonly double TicksPerMillisecond = 100.0 / 1000.0; // USER_HZ is 100 on Linux.

    private readonly Dictionary<int, (string Group, long Ticks)> _start;

    private ProcessCpu(Dictionary<int, (string Group, long Ticks)> start) => _start = start;

    public static bool Supported => Directory.Exists("/proc/self");

    public static ProcessCpu Start() => new(Snapshot());

    /// <summary>
    /// Milliseconds of CPU per group since <see cref="Start"/>. Processes that ended meanwhile count
    /// once their parent reaped them, as "&lt;parent group&gt; children" (e.g. the worker tasks' own processes).
    /// </summary>
    public IReadOnlyDictionary<string, double> Stop()
    {
        var totals = new Dictionary<string, double>();
        foreach (var (pid, (group, ticks)) in Snapshot())
        {
            var before = _start.TryGetValue(pid, out var s) && s.Group == group ? s.Ticks : 0;
            totals[group] = totals.GetValueOrDefault(group) + (ticks - before) / TicksPerMillisecond;
        }
        return totals.Where(t => t.Value > 0).ToDictionary();
    }

    private static Dictionary<int, (string Group, long Ticks)> Snapshot()
    {
        var self = Environment.ProcessId;
        var parents = new Dictionary<int, int>();
        var ticks = new Dictionary<int, long>();
        var reaped = new Dictionary<int, long>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                // cutime(16) cstime(17): CPU of children this process waited for after they exited.
                reaped[pid] = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        var result = new Dictionary<int, (string, long)>();
        foreach (var (pid, t) in ticks)
        {
            if (pid == self || IsDescendant(pid, self, parents))
            {
                var group = Group(pid, self);
                result[pid] = (group, t);
                result[-pid] = (group + " children", reaped[pid]);
            }
        }
        return result;
    }

    private static bool IsDescendant(int pid, int ancestor, Dictionary<int, int> parents)
    {
        for (var p = pid; parents.TryGetValue(p, out var parent) && p > 1; p = parent)
        {
            if (parent == ancestor)
            {
                return true;
            }
        }
        return false;
    }

    private static string Group(int pid, int self)
    {
        if (pid == self)
        {
            return "bench";
        }
        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "other";
        }
        if (commandLine.Contains("SessionBuddy.", StringComparison.Ordinal))
        {
            var start = commandLine.IndexOf("SessionBuddy.", StringComparison.Ordinal) + "SessionBuddy.".Length;
            var end = commandLine.IndexOfAny(['.', ' ', '/'], start);
            return commandLine[start..(end < 0 ? commandLine.Length : end)].ToLowerInvariant();
        }
        if (commandLine.StartsWith("postgres", StringComparison.Ordinal) || commandLine.Contains("/postgres ", StringComparison.Ordinal))
        {
            return "postgres";
        }
        return commandLine.Contains("beam", StringComparison.Ordinal) || commandLine.Contains("rabbit", StringComparison.Ordinal) ? "rabbitmq" : "other";
    }

    /// <summary>"total 2.31 = gateway 0.80 + sessions 0.60 + ..." in milliseconds of CPU per call.</summary>
    public static string PerCall(IReadOnlyDictionary<string, double> cpu, int calls) =>
        $"cpu ms/call {cpu.Values.Sum() / calls,5:0.00} = " +
        string.Join(" + ", cpu.Where(c => c.Value / calls >= 0.005).OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value / calls:0.00}"));
}
