using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using ModelContextProtocol.Client;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Bench;

/// <summary>
/// akosha: instance A (the whole system) pushing to a hub B (another instance's AkoshaSync and Memory, on its own
/// PostgreSQL and RabbitMQ). Push throughput: results published to A as pools' shutdowns publish them, until B has
/// stored them all. Delay: from pool_shutdown on A (a pool with one finished task) until B's search finds the result.
/// </summary>
public sealed class AkoshaCommand : IBenchCommand
{
    private const string SystemId = "bench-a";

    public string Name => "akosha";

    public string Description => "push throughput A -> hub B (results/s), delay pool_shutdown -> searchable on the hub (p50/p95) [--items N] [--rounds N] [--embedder builtin|hashed]";

    public async Task<int> RunAsync(string[] args)
    {
        var items = int.Parse(args.Option("items") ?? "5000");
        var rounds = int.Parse(args.Option("rounds") ?? "20");
        var embedder = args.Option("embedder") ?? "builtin";
        Console.WriteLine($"starting hub B (AkoshaSync + Memory, embedder {embedder}) and instance A (the whole system) ...");
        await using var hub = await AkoshaHubFixture.StartAsync(embedder);
        // Inherited by A's processes: WorkerPool and AkoshaSync push to B.
        Environment.SetEnvironmentVariable("Akosha__Endpoint", hub.Endpoint.ToString());
        Environment.SetEnvironmentVariable("Akosha__ApiKey", AkoshaHubFixture.Key);
        Environment.SetEnvironmentVariable("Akosha__SystemId", SystemId);
        await using var app = await DistributedAppFixture.CreateAsync();
        var busA = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(app.MessagingUri));
        var busB = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(hub.MessagingUri));
        await busA.StartAsync();
        await busB.StartAsync();
        try
        {
            await ThroughputAsync(busA, hub, 500, report: false);
            await ThroughputAsync(busA, hub, items, report: true);
            // The delay rounds start once the hub's Memory has embedded the backlog (else they would measure the backlog).
            var clock = Stopwatch.StartNew();
            while (await hub.SearchableResultsAsync() < items + 500)
            {
                await Task.Delay(100);
            }
            Console.WriteLine($"the hub's Memory made the {items} pushed results searchable {clock.Elapsed.TotalSeconds:0.0} s after the last was stored");
            return await DelayAsync(app, busB, rounds);
        }
        finally
        {
            await busA.StopAsync();
            await busB.StopAsync();
        }
    }

    private static async Task ThroughputAsync(IBus busA, AkoshaHubFixture hub, int items, bool report)
    {
        var poolId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        foreach (var chunk in Enumerable.Range(0, items).Chunk(100))
        {
            await busA.Publish(new PoolResultsCollected(poolId, [.. chunk.Select(i => new WorkerTaskCompleted(
                "w-" + i, Guid.NewGuid(), "shell", $"echo result {i}", WorkerTaskStatuses.Completed, $"result {i} of the throughput run",
                null, 0, 0.01, null, DateTimeOffset.UtcNow, poolId))], DateTimeOffset.UtcNow));
        }
        var published = clock.Elapsed;
        while (await hub.StoredResultsAsync(poolId) < items)
        {
            await Task.Delay(20);
        }
        if (report)
        {
            Console.WriteLine($"push throughput: {items} results in {clock.Elapsed.TotalSeconds:0.00} s = {items / clock.Elapsed.TotalSeconds:0} results/s stored on the hub " +
                $"(published to A in {published.TotalSeconds:0.00} s; load average {LoadAverage()})");
        }
    }

    private static async Task<int> DelayAsync(DistributedAppFixture app, IBus busB, int rounds)
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = app.McpUri, TransportMode = HttpTransportMode.StreamableHttp }));
        var search = busB.CreateRequestClient<SearchAkoshaResults>(RequestTimeout.After(s: 30));
        var delays = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var word = new string([.. Guid.NewGuid().ToString("N")[..12].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16)))]);
            var pool = await CallAsync(client, "pool_create", new() { ["worker_types"] = new[] { "shell" }, ["max_workers"] = 1 });
            var poolId = pool.GetProperty("pool_id").GetString()!;
            await CallAsync(client, "pool_execute", new() { ["pool_id"] = poolId, ["tasks"] = new[] { $"echo {word}" }, ["wait"] = true, ["timeout_seconds"] = 60 });
            var clock = Stopwatch.StartNew();
            var shutdown = await CallAsync(client, "pool_shutdown", new() { ["pool_id"] = poolId });
            if (shutdown.GetProperty("akosha_push").GetString() != AkoshaPushStates.Queued)
            {
                Console.Error.WriteLine($"pool_shutdown answered akosha_push {shutdown.GetProperty("akosha_push")}");
                return 1;
            }
            while (true)
            {
                var response = await search.GetResponse<MemorySearchResults, RequestRejected>(new SearchAkoshaResults(word, SystemId, Limit: 5));
                if (response.Is(out Response<MemorySearchResults>? found) && found.Message.Results.Any(r => r.Content.Contains(word)))
                {
                    break;
                }
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Console.Error.WriteLine($"round {round}: not searchable on the hub after 60 s");
                    return 1;
                }
                await Task.Delay(10);
            }
            delays.Add(clock.Elapsed.TotalMilliseconds);
        }
        delays.Sort();
        double Percentile(double p) => delays[Math.Min(delays.Count - 1, (int)Math.Ceiling(p * delays.Count) - 1)];
        Console.WriteLine($"pool_shutdown -> searchable on the hub, {rounds} rounds: p50 {Percentile(0.5):0} ms, p95 {Percentile(0.95):0} ms, max {delays[^1]:0} ms (load average {LoadAverage()})");
        return 0;
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

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";
}
