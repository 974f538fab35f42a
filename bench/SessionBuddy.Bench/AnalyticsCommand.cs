using System.Diagnostics;
using System.Globalization;
using MassTransit;
using ModelContextProtocol.Client;
using Npgsql;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Sessions;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.LocalSystem;

namespace SessionBuddy.Bench;

/// <summary>
/// The analytics tools over a large history, through MCP → gateway → RabbitMQ → Analytics → PostgreSQL, and the
/// projections' event throughput. The history (default 100,000 sessions with 1,000,000 messages, their checkpoints,
/// workflows, worker tasks and tool-call samples) is written straight into analyticsdb's projection tables with
/// binary COPY, in the shape the projections give it; then every tool is timed (every named query of query_analytics,
/// every export_analytics dataset in csv and in json), then events are published to the
/// bus as the services publish them and timed until the Analytics service has applied them all.
/// </summary>
public sealed class AnalyticsCommand : IBenchCommand
{
    private static readonly string[] Projects = [.. Enumerable.Range(0, 20).Select(i => $"project-{i:00}")];

    public string Name => "analytics";

    public string Description => "analytics tools' latency over 100,000 sessions / 1,000,000 messages, and projection events/s";

    public async Task<int> RunAsync(string[] args)
    {
        var sessions = int.Parse(args.Option("sessions") ?? "100000", CultureInfo.InvariantCulture);
        var messages = long.Parse(args.Option("messages") ?? "1000000", CultureInfo.InvariantCulture);
        var calls = int.Parse(args.Option("calls") ?? "200", CultureInfo.InvariantCulture);
        var events = int.Parse(args.Option("events") ?? "30000", CultureInfo.InvariantCulture);

        Console.WriteLine("starting PostgreSQL, RabbitMQ, the five services and the gateway ...");
        await using var app = await DistributedAppFixture.CreateAsync();
        await using var analytics = NpgsqlDataSource.Create(app.GetConnectionString("analyticsdb"));

        var seeding = Stopwatch.StartNew();
        var seeded = await AnalyticsHistory.SeedAsync(analytics, sessions, messages);
        Console.WriteLine($"seeded {seeded} in {seeding.Elapsed.TotalSeconds:0.0} s");

        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = app.McpUri,
            TransportMode = HttpTransportMode.StreamableHttp,
        }));
        var someSession = await AnalyticsHistory.AnySessionAsync(analytics);
        var tools = new (string Tool, Dictionary<string, object?> Arguments)[]
        {
            ("get_activity_summary", new() { ["hours"] = 2 }),
            ("get_activity_summary", new() { ["hours"] = 24 * 30 }),
            ("get_workflow_metrics", new()),
            ("get_workflow_metrics", new() { ["project"] = Projects[3] }),
            ("get_session_analytics", new()),
            ("get_session_analytics", new() { ["sort_by"] = "messages", ["limit"] = 100 }),
            ("get_performance_metrics", new()),
            ("summarize_session", new() { ["session_id"] = someSession.ToString() }),
            ("get_insights", new()),
            ("query_analytics", new() { ["query_name"] = "daily_activity", ["parameters"] = new Dictionary<string, object?> { ["days"] = 30 } }),
            ("export_analytics", new() { ["dataset"] = "sessions", ["limit"] = 1000 }),
        };
        // Every named query with its default parameters, and every dataset in both formats (100 rows a chunk), as the tools list them.
        var queries = await QueryNamesAsync(client);
        var datasets = new[] { "sessions", "checkpoints", "workflows", "worker_tasks", "pool_runs" };
        tools =
        [
            .. tools,
            .. queries.Select(q => ("query_analytics", new Dictionary<string, object?> { ["query_name"] = q })),
            .. datasets.SelectMany(d => new[] { "csv", "json" }.Select(f =>
                ("export_analytics", new Dictionary<string, object?> { ["dataset"] = d, ["format"] = f, ["limit"] = 100 }))),
        ];
        Console.WriteLine();
        Console.WriteLine($"one client, {calls} calls per tool after 20 warm-up calls (ms):");
        Console.WriteLine($"{"tool",-60} {"p50",8} {"p95",8} {"p99",8} {"max",8}");
        foreach (var (tool, arguments) in tools)
        {
            var latencies = new List<double>(calls);
            for (var i = -20; i < calls; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var result = await client.CallToolAsync(tool, arguments);
                if (result.IsError == true)
                {
                    throw new InvalidOperationException($"{tool} failed: {string.Join(" ", result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text))}");
                }
                if (i >= 0)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            latencies.Sort();
            double P(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
            var label = $"{tool} {string.Join(",", arguments.Select(a => $"{a.Key}={(a.Value is Dictionary<string, object?> d ? string.Join("+", d.Select(x => $"{x.Key}:{x.Value}")) : a.Value)}"))}";
            Console.WriteLine($"{label,-60} {P(0.5),8:0.00} {P(0.95),8:0.00} {P(0.99),8:0.00} {latencies[^1],8:0.00}");
        }

        Console.WriteLine();
        await MeasureProjectionsAsync(app, analytics, events);
        return 0;
    }

    /// <summary>The names query_analytics lists (its "list" query).</summary>
    private static async Task<List<string>> QueryNamesAsync(McpClient client)
    {
        var list = await client.CallToolAsync("query_analytics", new Dictionary<string, object?> { ["query_name"] = "list" });
        if (list.IsError == true || list.StructuredContent is not { } content)
        {
            throw new InvalidOperationException("query_analytics list failed");
        }
        return [.. content.GetProperty("available_queries").EnumerateArray().Select(q => q.GetProperty("name").GetString()!)];
    }

    /// <summary>
    /// Publishes <paramref name="count"/> events the way the services' outboxes do (50% MessageAdded, 10% each
    /// SessionCreated, SessionStatusChanged, CheckpointCreated, WorkerTaskCompleted and ReflectionAdded, over 2,000
    /// sessions) and waits until the Analytics service has applied every one (its inbox holds their ids). Memory and
    /// AkoshaSync consume the worker and reflection events too, on the same cores.
    /// </summary>
    private static async Task MeasureProjectionsAsync(DistributedAppFixture app, NpgsqlDataSource analytics, int count)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(app.MessagingUri));
        await bus.StartAsync();
        try
        {
            var sessionIds = Enumerable.Range(0, 2000).Select(_ => Guid.NewGuid()).ToArray();
            var now = DateTimeOffset.UtcNow;
            var before = await InboxCountAsync(analytics);
            var clock = Stopwatch.StartNew();
            const int Parallel = 64;
            await System.Threading.Tasks.Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (i, ct) =>
            {
                var session = sessionIds[i % sessionIds.Length];
                var at = now.AddMilliseconds(i);
                object message = (i % 10) switch
                {
                    0 => new SessionCreated(session, "bench", Projects[i % Projects.Length], at),
                    1 => new SessionStatusChanged(session, Projects[i % Projects.Length], "running", i % 20 == 1 ? "failed" : "completed", now.AddMinutes(-5), now.AddMinutes(-4), at),
                    2 => new CheckpointCreated(session, Guid.NewGuid(), i, 40 + i % 60, at, 1200),
                    3 => new WorkerTaskCompleted($"bench-{i % 8}", Guid.NewGuid(), i % 3 == 0 ? "shell" : "claude", "true",
                        i % 30 == 3 ? WorkerTaskStatuses.Failed : WorkerTaskStatuses.Completed, "ok", null, 0, 0.2, null, at, $"bench-pool-{i % 4}", session),
                    4 => new ReflectionAdded(Guid.NewGuid(), Projects[i % Projects.Length], "reflection", session.ToString(), at),
                    _ => new MessageAdded(session, Guid.NewGuid(), "user", 200, at),
                };
                await bus.Publish(message, message.GetType(), ct);
            });
            var published = clock.Elapsed.TotalSeconds;
            while (await InboxCountAsync(analytics) - before < count)
            {
                await Task.Delay(100);
            }
            var applied = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"projections: {count} events published in {published:0.0} s ({count / published:0}/s), " +
                $"all applied after {applied:0.0} s: {count / applied:0} events/s");
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static async Task<long> InboxCountAsync(NpgsqlDataSource analytics)
    {
        await using var command = analytics.CreateCommand("SELECT count(*) FROM inbox_messages");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
