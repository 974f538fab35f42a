using System.Diagnostics;
using System.Text.Json;
using ModelContextProtocol.Client;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Bench;

/// <summary>
/// workers: dispatch overhead of the WorkerPool through the real MCP endpoint. Starts the whole system
/// (or uses --mcp URL), runs shell tasks executing `true` through pool_execute (tasks/s, and the p95 of
/// each task's overhead beyond its own process, as the service measures it), then 100 single workers
/// each running a task at the same time.
/// </summary>
public sealed class WorkersCommand : IBenchCommand
{
    public string Name => "workers";

    public string Description => "progress notification latency; pool_execute tasks/s and p95 overhead with `true` shell tasks; 100 concurrent workers [--progress-only] [--tasks N] [--warmup-tasks N] [--max-warmup-tasks N] [--mcp URL]";

    public async Task<int> RunAsync(string[] args)
    {
        var taskCount = int.Parse(args.Option("tasks") ?? "600");
        // Freshly started services JIT-compile their hot paths, and on a busy 2-core host the runtime keeps
        // re-compiling them at higher tiers for a minute or more (profiles 20-70 s in found the WorkerPool and
        // Sessions spending 35-44% of their CPU in the JIT): each row first runs at least this many tasks the same way,
        // unmeasured, in rounds of WarmupRound, and then more rounds until a round sets no new best rate by
        // over 3%, at most --max-warmup-tasks.
        var warmupTasks = int.Parse(args.Option("warmup-tasks") ?? "3000");
        var maxWarmupTasks = int.Parse(args.Option("max-warmup-tasks") ?? "6000");
        DistributedAppFixture? app = null;
        Uri endpoint;
        if (args.Option("mcp") is { } url)
        {
            endpoint = new Uri(url);
        }
        else
        {
            // Inherited by the WorkerPool and gateway processes the fixture starts. The bench's one MCP caller runs up to
            // 100 worker calls at once, above the gateway's default per-caller worker limit (16).
            Environment.SetEnvironmentVariable("WorkerPool__MaxConcurrentTasks", "100");
            Environment.SetEnvironmentVariable("WorkerPool__MaxWorkers", "200");
            Environment.SetEnvironmentVariable("RateLimits__WorkerCallsPerCaller", "200");
            Console.WriteLine("starting PostgreSQL, RabbitMQ, the services and the gateway ...");
            app = await DistributedAppFixture.CreateAsync();
            endpoint = app.McpUri;
        }
        try
        {
            await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = endpoint, TransportMode = HttpTransportMode.StreamableHttp }));
            var failures = 0;

            // One pool of 3 workers, then the same load spread over 10 pools by pool_route_execute.
            var single = await CallAsync(client, "pool_create", new() { ["worker_types"] = new[] { "shell" }, ["max_workers"] = 3 });
            var poolId = single.GetProperty("pool_id").GetString()!;
            failures += await ProgressLatencyAsync(client, poolId);
            if (args.Flag("progress-only"))
            {
                return failures == 0 ? 0 : 1;
            }
            await WarmUpAsync(warmupTasks, maxWarmupTasks, n => CallAsync(client, "pool_execute",
                new() { ["pool_id"] = poolId, ["tasks"] = Enumerable.Repeat("true", n).ToArray(), ["wait"] = true, ["timeout_seconds"] = 120 }));
            var (rate, tasks, cpu) = await TimedAsync(() => CallAsync(client, "pool_execute",
                new() { ["pool_id"] = poolId, ["tasks"] = Enumerable.Repeat("true", taskCount).ToArray(), ["wait"] = true, ["timeout_seconds"] = 60 }), taskCount);
            failures += Report("pool_execute, 1 pool x 3 workers", rate, tasks, cpu);

            for (var i = 1; i < 10; i++)
            {
                await CallAsync(client, "pool_create", new() { ["worker_types"] = new[] { "shell" }, ["max_workers"] = 3 });
            }
            await WarmUpAsync(warmupTasks, maxWarmupTasks, n => CallAsync(client, "pool_route_execute",
                new() { ["tasks"] = Enumerable.Repeat("true", n).ToArray(), ["strategy"] = "least_loaded", ["wait"] = true, ["timeout_seconds"] = 120 }));
            (rate, tasks, cpu) = await TimedAsync(() => CallAsync(client, "pool_route_execute",
                new() { ["tasks"] = Enumerable.Repeat("true", taskCount).ToArray(), ["strategy"] = "least_loaded", ["wait"] = true, ["timeout_seconds"] = 60 }), taskCount);
            failures += Report("pool_route_execute, 10 pools x 3 workers", rate, tasks, cpu);

            // 100 single workers, each running `sleep 1` at the same time.
            var spawned = await CallAsync(client, "worker_spawn", new() { ["worker_type"] = "shell", ["count"] = 100 });
            var workers = spawned.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("worker_id").GetString()!).ToList();
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(workers.Select(w => CallAsync(client, "worker_execute",
                new() { ["worker_id"] = w, ["prompt_or_command"] = "sleep 1", ["timeout_seconds"] = 60 })));
            var completed = results.Count(r => r.GetProperty("status").GetString() == "completed");
            Console.WriteLine($"{"100 concurrent workers (sleep 1 each)",-44} {completed}/100 completed in {clock.Elapsed.TotalSeconds:F2} s wall time");
            foreach (var error in results.Where(r => r.GetProperty("status").GetString() != "completed").Select(r => r.GetProperty("error").GetString()).Distinct().Take(3))
            {
                Console.WriteLine("  failed: " + error);
            }
            failures += 100 - completed;
            return failures == 0 ? 0 : 1;
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// From a task's output line to the caller's MCP progress notification: 3 tasks at once each print their
    /// wall-clock time every 50 ms; each notification carries the latest line, so its arrival time minus the
    /// stamp in it is what a caller waits. Lines that arrive while a publish is in flight are folded into the
    /// next one, so fewer notifications than lines is expected under load.
    /// </summary>
    private static async Task<int> ProgressLatencyAsync(McpClient client, string poolId)
    {
        const int LinesPerTask = 60;
        var delaysMs = new System.Collections.Concurrent.ConcurrentBag<double>();
        var progress = new SynchronousProgress(value =>
        {
            var now = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            if (value.Message?.Split(": ").LastOrDefault() is { } line && long.TryParse(line.Trim(), out var stampNs) && stampNs > 1_000_000_000_000_000_000)
            {
                delaysMs.Add((now - stampNs) / 1e6);
            }
        });
        var script = $"for i in $(seq {LinesPerTask}); do date +%s%N; sleep 0.05; done";
        for (var round = 0; round < 2; round++)
        {
            delaysMs.Clear(); // the first round warms up the path
            var result = await client.CallToolAsync("pool_execute", new Dictionary<string, object?>
            {
                ["pool_id"] = poolId,
                ["tasks"] = Enumerable.Repeat(script, 3).ToArray(),
                ["wait"] = true,
                ["timeout_seconds"] = 120,
            }, progress);
            if (result.IsError == true)
            {
                Console.WriteLine("  progress run failed");
                return 1;
            }
        }
        var sorted = delaysMs.Order().ToList();
        double P(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        Console.WriteLine($"{"progress: output line -> MCP notification",-44} p50 {P(0.5):F2} ms  p95 {P(0.95):F2} ms  max {P(1):F2} ms  ({sorted.Count} notifications for {3 * LinesPerTask} lines)");
        return sorted.Count == 0 ? 1 : 0;
    }

    private sealed class SynchronousProgress(Action<ModelContextProtocol.ProgressNotificationValue> report) : IProgress<ModelContextProtocol.ProgressNotificationValue>
    {
        public void Report(ModelContextProtocol.ProgressNotificationValue value) => report(value);
    }

    private const int WarmupRound = 300;

    /// <summary>Runs rounds of <see cref="WarmupRound"/> tasks until warm (see RunAsync) and prints their rates.</summary>
    private static async Task WarmUpAsync(int minTasks, int maxTasks, Func<int, Task<JsonElement>> round)
    {
        var rates = new List<double>();
        var best = 0.0;
        var done = 0;
        while (done < maxTasks)
        {
            var clock = Stopwatch.StartNew();
            await round(WarmupRound);
            var rate = WarmupRound / clock.Elapsed.TotalSeconds;
            done += WarmupRound;
            rates.Add(rate);
            var improved = rate > best * 1.03;
            best = Math.Max(best, rate);
            if (done >= minTasks && !improved)
            {
                break;
            }
        }
        Console.WriteLine($"  warm-up: {done} tasks, rounds of {WarmupRound} at {string.Join(" ", rates.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} tasks/s");
    }

    /// <summary>
    /// Rate of the call, its tasks, and the CPU every process spent on them: measured until the system
    /// is quiet again, so work done after the reply (results consumed by Memory, Analytics, AkoshaSync)
    /// counts too.
    /// </summary>
    private static async Task<(double Rate, List<JsonElement> Tasks, IReadOnlyDictionary<string, double>? Cpu)> TimedAsync(Func<Task<JsonElement>> call, int count)
    {
        await QuietAsync();
        var cpu = ProcessCpu.Supported ? ProcessCpu.Start() : null;
        var clock = Stopwatch.StartNew();
        var batch = await call();
        var rate = count / clock.Elapsed.TotalSeconds;
        await QuietAsync();
        return (rate, [.. batch.GetProperty("tasks").EnumerateArray()], cpu?.Stop());
    }

    /// <summary>Waits (at most 20 s) until the processes under test use under 10% of one core for half a second.</summary>
    private static async Task QuietAsync()
    {
        if (!ProcessCpu.Supported)
        {
            return;
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var window = ProcessCpu.Start();
            await Task.Delay(500);
            if (window.Stop().Values.Sum() < 50)
            {
                return;
            }
        }
    }

    private static int Report(string name, double rate, List<JsonElement> tasks, IReadOnlyDictionary<string, double>? cpu)
    {
        var failed = tasks.Count(t => t.GetProperty("status").GetString() != "completed");
        foreach (var error in tasks.Where(t => t.GetProperty("status").GetString() != "completed")
                     .Select(t => t.GetProperty("error").GetString()).Distinct().Take(3))
        {
            Console.WriteLine("  failed: " + error);
        }
        double P(string field, double q)
        {
            var values = tasks.Select(t => t.GetProperty("metadata").TryGetProperty(field, out var v) ? v.GetDouble() : double.NaN)
                .Where(v => !double.IsNaN(v)).Order().ToList();
            if (values.Count == 0)
            {
                return double.NaN;
            }
            return values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
        }
        Console.WriteLine($"{name,-44} {rate,7:F1} tasks/s  overhead p50 {P("overhead_ms", 0.5):F2} ms  p95 {P("overhead_ms", 0.95):F2} ms  " +
            $"(session p50/p95 {P("session_ms", 0.5):F2}/{P("session_ms", 0.95):F2} ms, spawn p50/p95 {P("start_overhead_ms", 0.5):F2}/{P("start_overhead_ms", 0.95):F2} ms)  process p50 {P("process_ms", 0.5):F2} ms  failed {failed}");
        // After exit: from the process's reaping to the result being ready (the overhead's part after the run).
        Console.WriteLine($"  after exit p50/p95/p99 {P("after_exit_ms", 0.5):F2}/{P("after_exit_ms", 0.95):F2}/{P("after_exit_ms", 0.99):F2} ms, overhead p99 {P("overhead_ms", 0.99):F2} ms, process p95 {P("process_ms", 0.95):F2} ms");
        // Where the slowest 5% lost their time: the overhead split into its measured parts (means over those
        // tasks), and the WorkerPool's GC pauses while they held their workers (part of those parts).
        double Field(JsonElement metadata, string name) => metadata.TryGetProperty(name, out var v) ? v.GetDouble() : 0;
        var overheadP95 = P("overhead_ms", 0.95);
        var slowest = tasks.Select(t => t.GetProperty("metadata"))
            .Where(m => m.TryGetProperty("after_exit_ms", out _) && Field(m, "overhead_ms") >= overheadP95)
            .ToList();
        if (slowest.Count > 0)
        {
            double Mean(string name) => slowest.Average(m => Field(m, name));
            var rest = Mean("overhead_ms") - Mean("session_ms") - Mean("start_overhead_ms") - Mean("after_exit_ms");
            Console.WriteLine($"  slowest {slowest.Count} by overhead, mean ms: overhead {Mean("overhead_ms"):F2} = session {Mean("session_ms"):F2} + spawn {Mean("start_overhead_ms"):F2} + " +
                $"after exit {Mean("after_exit_ms"):F2} + rest {rest:F2}; GC pauses {Mean("gc_pause_ms"):F2} (all tasks {tasks.Average(t => Field(t.GetProperty("metadata"), "gc_pause_ms")):F2})");
        }
        if (cpu is not null)
        {
            // CPU per task by process: on 2 cores, 2000 ms / this total bounds tasks/s.
            Console.WriteLine($"  {ProcessCpu.PerCall(cpu, tasks.Count).Replace("ms/call", "ms/task", StringComparison.Ordinal)}");
        }
        return failed;
    }

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments)
    {
        var result = await client.CallToolAsync(tool, arguments);
        if (result.IsError == true || result.StructuredContent is null)
        {
            throw new InvalidOperationException($"{tool} failed: {string.Join(" ", result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text))}");
        }
        return result.StructuredContent.Value;
    }
}
