using System.Diagnostics;

namespace SessionBuddy.Bench;

/// <summary>Throughput and latency percentiles of one operation run by N concurrent callers for a fixed time.</summary>
public sealed record LatencyStats(string Name, int Concurrency, int Calls, double PerSecond, double P50, double P95, double P99)
{
    /// <summary>CPU per call of the bench and the processes it started, by process (null where /proc is missing).</summary>
    public IReadOnlyDictionary<string, double>? Cpu { get; init; }

    /// <summary>Every call's latency in ms, sorted, and the measured time: what <see cref="Merge"/> needs.</summary>
    public double[] Latencies { get; init; } = [];

    public double Seconds { get; init; }

    /// <summary>The rows of the same operation measured in several rounds, as if measured in one.</summary>
    public static LatencyStats Merge(IReadOnlyList<LatencyStats> rounds)
    {
        var all = rounds.SelectMany(r => r.Latencies).Order().ToArray();
        var seconds = rounds.Sum(r => r.Seconds);
        Dictionary<string, double>? cpu = null;
        if (rounds.All(r => r.Cpu is not null))
        {
            cpu = [];
            foreach (var (group, ms) in rounds.SelectMany(r => r.Cpu!))
            {
                cpu[group] = cpu.GetValueOrDefault(group) + ms;
            }
        }
        return new LatencyStats(rounds[0].Name, rounds[0].Concurrency, all.Length, all.Length / seconds,
            LatencyRun.Percentile(all, 0.50), LatencyRun.Percentile(all, 0.95), LatencyRun.Percentile(all, 0.99))
        {
            Cpu = cpu,
            Latencies = all,
            Seconds = seconds,
        };
    }

    public string CpuLine => Cpu is null ? "" : $"{Name,-40} {Concurrency,7}  {ProcessCpu.PerCall(Cpu, Calls)}";

    public static string Header => $"{"operation",-40} {"clients",7} {"calls",8} {"calls/s",9} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8}";

    public override string ToString() =>
        $"{Name,-40} {Concurrency,7} {Calls,8} {PerSecond,9:0} {P50,8:0.00} {P95,8:0.00} {P99,8:0.00}";
}

public static class LatencyRun
{
    /// <param name="operation">Called with the caller's index and a per-caller call counter (negative while warming up).</param>
    /// <param name="warmup">
    /// When given, all callers first run the operation for this long, unmeasured: long enough for the
    /// processes under test to finish tiered JIT compilation, so the numbers are their steady state.
    /// </param>
    public static async Task<LatencyStats> MeasureAsync(
        string name, int concurrency, TimeSpan duration, Func<int, int, Task> operation, int warmupCalls = 50, TimeSpan? warmup = null)
    {
        for (var i = 0; i < warmupCalls; i++)
        {
            await operation(0, -1 - i);
        }
        if (warmup is { } warmupDuration)
        {
            await RunCallersAsync(concurrency, warmupDuration, (caller, n) => operation(caller, -1 - warmupCalls - n));
        }

        var latencies = new List<double>[concurrency];
        for (var caller = 0; caller < concurrency; caller++)
        {
            latencies[caller] = new List<double>(4096);
        }
        var cpu = ProcessCpu.Supported ? ProcessCpu.Start() : null;
        var clock = Stopwatch.StartNew();
        await RunCallersAsync(concurrency, duration, async (caller, n) =>
        {
            var started = Stopwatch.GetTimestamp();
            await operation(caller, n);
            latencies[caller].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        });
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpuUsed = cpu?.Stop();

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LatencyStats(name, concurrency, all.Length, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99))
        {
            Cpu = cpuUsed,
            Latencies = all,
            Seconds = elapsed,
        };
    }

    /// <summary>The <paramref name="p"/> quantile of <paramref name="sorted"/> (nearest rank).</summary>
    public static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>
    /// Runs the callers in windows of <paramref name="window"/> for at least <paramref name="minimum"/>, then
    /// until a window's rate is no more than <paramref name="tolerance"/> above the best before it (at most
    /// <paramref name="maximum"/>): the processes under test keep re-compiling hot code at higher JIT
    /// tiers for a while after start, the longer the busier the machine. Returns each window's calls/s.
    /// </summary>
    public static async Task<IReadOnlyList<double>> WarmUntilSteadyAsync(
        int concurrency, TimeSpan minimum, TimeSpan maximum, TimeSpan window, double tolerance, Func<int, int, Task> operation)
    {
        var rates = new List<double>();
        var clock = Stopwatch.StartNew();
        var counter = 0;
        while (true)
        {
            var calls = 0;
            var started = Stopwatch.GetTimestamp();
            await RunCallersAsync(concurrency, window, async (caller, _) =>
            {
                await operation(caller, Interlocked.Increment(ref counter));
                Interlocked.Increment(ref calls);
            });
            rates.Add(calls / Stopwatch.GetElapsedTime(started).TotalSeconds);
            // Settled: the last window set no new best by more than the tolerance (a rate still climbing
            // slowly does not count as steady, a noisy dip does not stop the warm-up early either).
            var steady = rates.Count >= 3 && rates[^1] <= (1 + tolerance) * rates.Take(rates.Count - 1).Max();
            if (clock.Elapsed >= maximum || (clock.Elapsed >= minimum && steady))
            {
                return rates;
            }
        }
    }

    /// <summary>Runs <paramref name="concurrency"/> callers, each calling in a loop (counter from 0) until <paramref name="duration"/> has passed.</summary>
    public static async Task RunCallersAsync(int concurrency, TimeSpan duration, Func<int, int, Task> operation)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                await operation(caller, n);
            }
        })));
    }
}
