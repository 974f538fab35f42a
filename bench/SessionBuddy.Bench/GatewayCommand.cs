using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Client;
using Npgsql;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Messaging.Data;
using SessionBuddy.Sessions;
using SessionBuddy.Sessions.Messages;
using SessionBuddy.Sessions.Sessions;
using SessionBuddy.Sessions.Workspaces;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Bench;

/// <summary>
/// Tool calls through the whole path (MCP client → gateway → RabbitMQ → Sessions → PostgreSQL) with 1
/// and 16 concurrent clients, next to the floors they stand on: the Sessions store's own read and write
/// against the same database, and a bare MassTransit request/response over the same RabbitMQ.
/// </summary>
public sealed class GatewayCommand : IBenchCommand
{
    public string Name => "gateway";

    public string Description => "get_session / add_message through the gateway vs SQL and bus floors (--seconds N, default 5; --warmup S (default 20, then until steady, at most --max-warmup S, default 120); --clients 1,16; --tools get_session,...; --mcp URL: only the MCP rows, against a running system; --telemetry off,on: only the MCP rows, with every process's OTLP export off and on: both systems run at once and are measured in alternating rounds (--rounds N, default 3) whose rows are merged, and the exported bytes per call per signal (--otlp-dump DIR keeps 40 export bodies); --replicas 1,2: only the MCP rows, once per count of replicas of every service and of the gateway, behind the test balancer)";

    public async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(double.Parse(args.Option("seconds") ?? "5", System.Globalization.CultureInfo.InvariantCulture));
        int[] concurrencies = [.. (args.Option("clients") ?? "1,16").Split(',').Select(int.Parse)];
        // Services just started still JIT-compile their hot paths for tens of seconds on a small machine:
        // every tool first runs at full concurrency for --warmup seconds, then each row warms up briefly.
        var warmupAll = TimeSpan.FromSeconds(double.Parse(args.Option("warmup") ?? "20", System.Globalization.CultureInfo.InvariantCulture));
        // ... and until the warm-up's rate per 5 s window stops rising (no new best by over 3%), at most --max-warmup seconds.
        var maxWarmup = TimeSpan.FromSeconds(double.Parse(args.Option("max-warmup") ?? "120", System.Globalization.CultureInfo.InvariantCulture));
        var warmup = TimeSpan.FromSeconds(2);
        // The floors run in this process and were not part of that warm-up.
        var floorWarmup = TimeSpan.FromSeconds(5);
        var tools = (args.Option("tools") ?? "get_liveness,get_session,add_message").Split(',');

        var running = args.Option("mcp") is { } url ? new Uri(url) : null;
        var telemetryModes = args.Option("telemetry")?.Split(',');
        int[]? replicaCounts = args.Option("replicas") is { } counts ? [.. counts.Split(',').Select(int.Parse)] : null;
        var results = new List<LatencyStats>();
        var floorsMeasured = false;
        if (running is null)
        {
            // Inherited by the gateways the bench starts: it measures throughput from one address, and the in-process floor
            // (get_liveness at 16 clients) runs above the default 4,000 requests/s per address. Not for --mcp (a running system).
            Environment.SetEnvironmentVariable("RateLimits__PerAddressPerSecond", "0");
            Environment.SetEnvironmentVariable("RateLimits__PerTokenPerSecond", "0");
            Console.WriteLine("rate limits of the gateways started here: off (RateLimits:PerAddressPerSecond = PerTokenPerSecond = 0)");
        }
        if (running is not null)
        {
            results.AddRange(await MeasureMcpAsync(running, tools, concurrencies, duration, warmupAll, maxWarmup, warmup, ""));
        }
        else if (replicaCounts is not null)
        {
            // The same system started once per count; with more than one, calls go through the balancer the tests use
            // (it runs in this process, so its CPU counts as the bench's).
            foreach (var replicas in replicaCounts)
            {
                Console.WriteLine($"starting the system with {replicas} replica(s) of every service and of the gateway ...");
                await using var app = await DistributedAppFixture.CreateAsync(new FixtureOptions { Replicas = replicas, StartupTimeout = TimeSpan.FromSeconds(180) });
                results.AddRange(await MeasureMcpAsync(app.McpUri, tools, concurrencies, duration, warmupAll, maxWarmup, warmup, $" [replicas {replicas}]"));
            }
        }
        else if (telemetryModes is null)
        {
            Console.WriteLine("starting PostgreSQL, RabbitMQ, the five services and the gateway ...");
            await using var app = await DistributedAppFixture.CreateAsync();
            var sessions = new List<string>();
            results.AddRange(await MeasureMcpAsync(app.McpUri, tools, concurrencies, duration, warmupAll, maxWarmup, warmup, "", sessions, mcpFloor: true));
            results.AddRange(await MeasureSqlFloorAsync(app, [.. sessions.Select(Guid.Parse)], concurrencies, duration, floorWarmup));
            results.AddRange(await MeasureBusFloorAsync(app, Guid.Parse(sessions[0]), concurrencies, duration, floorWarmup));
            floorsMeasured = true;
        }
        else
        {
            results.AddRange(await MeasureTelemetryAsync(telemetryModes, tools, concurrencies, duration, warmupAll, maxWarmup, warmup,
                int.Parse(args.Option("rounds") ?? "3", System.Globalization.CultureInfo.InvariantCulture), args.Option("otlp-dump")));
        }

        Console.WriteLine();
        Console.WriteLine(LatencyStats.Header);
        foreach (var row in results)
        {
            Console.WriteLine(row);
        }
        Console.WriteLine();
        Console.WriteLine("CPU per call, all processes of the run (bench = the load generator itself):");
        foreach (var row in results.Where(r => r.Cpu is not null))
        {
            Console.WriteLine(row.CpuLine);
        }
        if (floorsMeasured)
        {
            PrintFloorShares(results);
        }
        if (telemetryModes is ["off", "on"] or ["on", "off"])
        {
            PrintChanges(results, "telemetry export on vs off", " [telemetry on]", " [telemetry off]");
        }
        foreach (var replicas in replicaCounts?.Skip(1) ?? [])
        {
            PrintChanges(results, $"{replicas} replicas vs {replicaCounts![0]}", $" [replicas {replicas}]", $" [replicas {replicaCounts[0]}]");
        }
        return 0;
    }

    /// <summary>
    /// One system per mode, both running at once: "on" exports every process's traces, metrics and logs over OTLP/HTTP
    /// to a receiver in this process, "off" has no endpoint, so nothing is recorded. The modes are measured in
    /// alternating rounds (off, on, then on, off, ...) and each mode's rounds are merged, so drift of the host falls on
    /// both sides. CPU per call counts both systems' processes (the idle one's share is about the same in each mode).
    /// --otlp-dump DIR saves the first export bodies after start-up there, to see what the bytes are.
    /// </summary>
    private static async Task<List<LatencyStats>> MeasureTelemetryAsync(string[] modes, string[] tools, int[] concurrencies, TimeSpan duration,
        TimeSpan warmupAll, TimeSpan maxWarmup, TimeSpan warmup, int rounds, string? dumpDirectory)
    {
        await using var sink = await OtlpSink.StartAsync(dumpDirectory);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        var systems = new List<(string Mode, DistributedAppFixture App, McpCallers Callers)>();
        try
        {
            foreach (var mode in modes)
            {
                Console.WriteLine($"starting the system with telemetry export {mode} ...");
                var app = await DistributedAppFixture.CreateAsync(new FixtureOptions { OtlpEndpoint = mode == "on" ? sink.Endpoint.ToString() : null });
                systems.Add((mode, app, await McpCallers.ConnectAsync(app.McpUri, concurrencies.Max())));
            }
            foreach (var (mode, _, callers) in systems)
            {
                Console.Write($"[telemetry {mode}] ");
                await callers.WarmUpAsync(tools, warmupAll, maxWarmup);
            }
            var before = sink.Snapshot();
            var callsBefore = systems.Where(s => s.Mode == "on").Sum(s => s.Callers.Calls);
            var started = System.Diagnostics.Stopwatch.StartNew();
            sink.DumpNext(40);
            var measured = new List<LatencyStats>();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (mode, _, callers) in round % 2 == 0 ? systems : Enumerable.Reverse(systems))
                {
                    Console.WriteLine($"round {round + 1} of {rounds}: telemetry {mode}");
                    measured.AddRange(await callers.MeasureAsync(tools, concurrencies, duration, warmup, $" [telemetry {mode}]"));
                }
            }
            if (modes.Contains("on"))
            {
                // Spans and logs are exported in batches every few seconds: wait for the calls' last ones.
                await Task.Delay(TimeSpan.FromSeconds(6));
                PrintExportSplit(before, sink.Snapshot(), systems.Where(s => s.Mode == "on").Sum(s => s.Callers.Calls) - callsBefore, started.Elapsed);
            }
            Console.WriteLine($"OTLP receiver: {sink.Requests} export requests, {sink.Bytes / 1024} KiB (start-up included)");
            return [.. measured.GroupBy(r => (r.Name, r.Concurrency)).Select(g => LatencyStats.Merge([.. g]))];
        }
        finally
        {
            foreach (var (_, app, callers) in systems)
            {
                await callers.DisposeAsync();
                await app.DisposeAsync();
            }
        }
    }


    /// <summary>What the processes exported while the bench called tools (from the system being up to the last batch), per signal.</summary>
    private static void PrintExportSplit(IReadOnlyDictionary<string, (long Requests, long Bytes)> before,
        IReadOnlyDictionary<string, (long Requests, long Bytes)> after, long calls, TimeSpan elapsed)
    {
        Console.WriteLine($"OTLP export while calling tools: {calls} tool calls in {elapsed.TotalSeconds:0} s");
        long totalRequests = 0, totalBytes = 0;
        foreach (var (signal, (requests, bytes)) in after)
        {
            var (requestsBefore, bytesBefore) = before.GetValueOrDefault(signal);
            var (r, b) = (requests - requestsBefore, bytes - bytesBefore);
            (totalRequests, totalBytes) = (totalRequests + r, totalBytes + b);
            Console.WriteLine($"  {signal,-8} {r,6} requests {b / 1024.0 / 1024.0,9:0.0} MiB {(double)b / Math.Max(1, calls),9:0} bytes per call {b / 1024.0 / elapsed.TotalSeconds,9:0.0} KiB/s");
        }
        Console.WriteLine($"  {"all",-8} {totalRequests,6} requests {totalBytes / 1024.0 / 1024.0,9:0.0} MiB {(double)totalBytes / Math.Max(1, calls),9:0} bytes per call {totalBytes / 1024.0 / elapsed.TotalSeconds,9:0.0} KiB/s");
    }

    private static void PrintChanges(List<LatencyStats> results, string title, string changedSuffix, string baseSuffix)
    {
        Console.WriteLine();
        Console.WriteLine(title + ":");
        foreach (var changed in results.Where(r => r.Name.EndsWith(changedSuffix, StringComparison.Ordinal)))
        {
            var baseline = results.Single(r => r.Concurrency == changed.Concurrency && r.Name == changed.Name.Replace(changedSuffix, baseSuffix, StringComparison.Ordinal));
            Console.WriteLine($"  {changed.Name.Replace(changedSuffix, "", StringComparison.Ordinal),-32} {changed.Concurrency,3} clients: calls/s {Change(changed.PerSecond, baseline.PerSecond)}, p50 {Change(changed.P50, baseline.P50)}, p99 {Change(changed.P99, baseline.P99)}, cpu/call {CpuChange(changed, baseline)}");
        }
    }

    /// <summary>
    /// Each tool's CPU per call beside the sum of the CPU per call of the floors it stands on (the in-process MCP
    /// tool, the bare bus request/response and the store's own SQL, all measured in this run at the same
    /// concurrency). Their ratio is the share of the floors' rate the tool reaches when CPU is what limits it.
    /// </summary>
    private static void PrintFloorShares(List<LatencyStats> results)
    {
        Console.WriteLine();
        Console.WriteLine("Gateway path vs the sum of its floors, CPU per call (all processes); share = floors / tool:");
        (string Tool, string Sql)[] paths = [("mcp get_session", "sql floor: session read"), ("mcp add_message", "sql floor: message write (+outbox row)")];
        foreach (var (tool, sql) in paths)
        {
            foreach (var row in results.Where(r => r.Name == tool && r.Cpu is not null))
            {
                double? PerCall(string name) => results.SingleOrDefault(r => r.Name == name && r.Concurrency == row.Concurrency) is { Cpu: { } cpu } floor
                    ? cpu.Values.Sum() / floor.Calls
                    : null;
                var actual = row.Cpu!.Values.Sum() / row.Calls;
                if (PerCall(McpFloorName) is not { } mcp || PerCall(BusFloorName) is not { } bus || PerCall(sql) is not { } store)
                {
                    continue;
                }
                var floors = mcp + bus + store;
                Console.WriteLine(
                    $"  {tool,-16} {row.Concurrency,3} clients: {actual:0.00} ms/call vs floors {floors:0.00} ms " +
                    $"(mcp {mcp:0.00} + bus {bus:0.00} + sql {store:0.00}): {floors / actual * 100:0} % of the floors' rate");
            }
        }
    }

    private const string McpFloorName = "mcp floor: get_liveness (in-process)";

    private const string BusFloorName = "bus floor: MassTransit request/response";

    private static string Change(double on, double off) => $"{(on - off) / off * 100,6:+0.0;-0.0} %";

    // CPU per call moves far less than rates and latency when other work shares the cores.
    private static string CpuChange(LatencyStats on, LatencyStats off) =>
        on.Cpu is null || off.Cpu is null ? "n/a" : Change(on.Cpu.Values.Sum() / on.Calls, off.Cpu.Values.Sum() / off.Calls);

    /// <summary>Tool calls through the gateway: one MCP client per caller, each writing to its own session.</summary>
    /// <param name="sessions">Receives the ids of the sessions the callers created.</param>
    /// <param name="mcpFloor">Measure the in-process MCP floor (get_liveness) even when it is not among <paramref name="tools"/>.</param>
    private static async Task<List<LatencyStats>> MeasureMcpAsync(Uri endpoint, string[] tools, int[] concurrencies, TimeSpan duration,
        TimeSpan warmupAll, TimeSpan maxWarmup, TimeSpan warmup, string label, List<string>? sessions = null, bool mcpFloor = false)
    {
        await using var callers = await McpCallers.ConnectAsync(endpoint, concurrencies.Max());
        sessions?.AddRange(callers.Sessions);
        await callers.WarmUpAsync(tools, warmupAll, maxWarmup);
        return await callers.MeasureAsync(tools, concurrencies, duration, warmup, label, mcpFloor);
    }

    /// <summary>
    /// The MCP clients of one system, each an agent writing to its own session (messages of one session are
    /// serialised by design); the same callers can measure the tools several times, in rounds.
    /// </summary>
    private sealed class McpCallers : IAsyncDisposable
    {
        private readonly List<McpClient> _clients;

        private McpCallers(List<McpClient> clients, List<string> sessions) => (_clients, Sessions) = (clients, sessions);

        public IReadOnlyList<string> Sessions { get; }

        /// <summary>Tool calls made through these callers (warm-up included).</summary>
        public long Calls => Interlocked.Read(ref _calls);

        private long _calls;

        public static async Task<McpCallers> ConnectAsync(Uri endpoint, int count)
        {
            // One MCP client per caller (the .NET 2.x client's default, stateless flow).
            var clients = new List<McpClient>();
            var sessions = new List<string>();
            for (var i = 0; i < count; i++)
            {
                var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
                {
                    Endpoint = endpoint,
                    TransportMode = HttpTransportMode.StreamableHttp,
                }));
                clients.Add(client);
                var created = await client.CallToolAsync("create_session", new Dictionary<string, object?> { ["name"] = "bench" });
                sessions.Add(created.StructuredContent!.Value.GetProperty("id").GetString()!);
            }
            return new McpCallers(clients, sessions);
        }

        private Task Call(string tool, int caller, int n) => tool switch
        {
            "get_session" => CallAsync("get_session", caller, new() { ["session_id"] = Sessions[0] }),
            "add_message" => CallAsync("add_message", caller, new() { ["session_id"] = Sessions[caller], ["role"] = "user", ["content"] = $"bench {caller}/{n}" }),
            _ => CallAsync(tool, caller, []),
        };

        private async Task CallAsync(string tool, int caller, Dictionary<string, object?> arguments)
        {
            var result = await _clients[caller].CallToolAsync(tool, arguments);
            Interlocked.Increment(ref _calls);
            if (result.IsError == true)
            {
                throw new InvalidOperationException($"{tool} failed: {string.Join(" ", result.Content)}");
            }
        }

        public async Task WarmUpAsync(string[] tools, TimeSpan minimum, TimeSpan maximum)
        {
            Console.WriteLine($"warming up: {string.Join(", ", tools)} with {_clients.Count} clients for at least {minimum.TotalSeconds:0} s, until steady ...");
            var windows = await LatencyRun.WarmUntilSteadyAsync(_clients.Count, minimum, maximum, TimeSpan.FromSeconds(5), 0.03,
                (caller, n) => Call(tools[(caller + n) % tools.Length], caller, -n));
            Console.WriteLine($"  calls/s per 5 s window: {string.Join(" ", windows.Select(r => r.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}");
        }

        public async Task<List<LatencyStats>> MeasureAsync(string[] tools, int[] concurrencies, TimeSpan duration, TimeSpan warmup, string label, bool mcpFloor = false)
        {
            var results = new List<LatencyStats>();
            foreach (var concurrency in concurrencies)
            {
                // The MCP floor: a tool answered inside the gateway, no bus.
                if (mcpFloor || tools.Contains("get_liveness"))
                {
                    results.Add(await LatencyRun.MeasureAsync(McpFloorName + label, concurrency, duration,
                        (caller, n) => Call("get_liveness", caller, n), warmup: warmup));
                }
                foreach (var tool in new[] { "get_session", "add_message" }.Where(tools.Contains))
                {
                    results.Add(await LatencyRun.MeasureAsync($"mcp {tool}{label}", concurrency, duration,
                        (caller, n) => Call(tool, caller, n), warmup: warmup));
                }
            }
            return results;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in _clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The Sessions service's own store (same SQL, same transaction and outbox row), without bus or gateway.</summary>
    private static async Task<List<LatencyStats>> MeasureSqlFloorAsync(
        DistributedAppFixture app, IReadOnlyList<Guid> sessionIds, int[] concurrencies, TimeSpan duration, TimeSpan warmup)
    {
        await using var dataSource = NpgsqlDataSource.Create(app.GetConnectionString("sessionsdb"));
        var options = Options.Create(new SessionsOptions { WorkspaceRoot = Path.Combine(app.DataDirectory, "bench-workspaces") });
        var outbox = new Outbox(new OutboxSignal());
        var store = new SessionStore(dataSource, outbox, new SessionWorkspaces(options));
        var messages = new MessageStore(dataSource, outbox, store);

        var results = new List<LatencyStats>();
        foreach (var concurrency in concurrencies)
        {
            results.Add(await LatencyRun.MeasureAsync("sql floor: session read", concurrency, duration,
                (_, _) => store.GetAsync(sessionIds[0], CancellationToken.None), warmup: warmup));
            results.Add(await LatencyRun.MeasureAsync("sql floor: message write (+outbox row)", concurrency, duration,
                (caller, n) => messages.AddAsync(Guid.NewGuid(), sessionIds[caller], "user", $"floor {caller}/{n}", CancellationToken.None), warmup: warmup));
        }
        return results;
    }

    /// <summary>A trivial consumer answering in the same process, over the same RabbitMQ.</summary>
    private static async Task<List<LatencyStats>> MeasureBusFloorAsync(DistributedAppFixture app, Guid sessionId, int[] concurrencies, TimeSpan duration, TimeSpan warmup)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(app.MessagingUri);
            rabbit.PrefetchCount = 32;
            rabbit.ReceiveEndpoint("bench-ping", endpoint => endpoint.Handler<BenchPing>(context => context.RespondAsync(new BenchPong(context.Message.Sequence))));
        });
        await bus.StartAsync();
        try
        {
            var client = bus.CreateRequestClient<BenchPing>(new Uri("queue:bench-ping"));
            var getSession = bus.CreateRequestClient<GetSession>();
            var results = new List<LatencyStats>();
            foreach (var concurrency in concurrencies)
            {
                // The Sessions service itself over the bus, without gateway and MCP.
                results.Add(await LatencyRun.MeasureAsync("bus + service: GetSession request", concurrency, duration,
                    (_, _) => getSession.GetResponse<SessionDetails, RequestRejected>(new GetSession(sessionId)), warmup: warmup));
                results.Add(await LatencyRun.MeasureAsync(BusFloorName, concurrency, duration,
                    (_, n) => client.GetResponse<BenchPong>(new BenchPing(n)), warmup: warmup));
            }
            return results;
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}

public sealed record BenchPing(int Sequence);

public sealed record BenchPong(int Sequence);
