using System.Text;
using System.Text.Json;
using MassTransit;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.EndToEnd.Tests;
using SessionBuddy.LocalSystem;

// A namespace of its own: these tests run on a private system (not Suite.App), so every count is exactly the workload's.
namespace SessionBuddy.EndToEnd.Analytics;

/// <summary>
/// Seed 002's poller against a scripted workload: N sessions, M checkpoints, K failed workflows. The poller calls the
/// four analytics tools over MCP every interval and converts their fields to metric values, as the seed does; the
/// numbers must match the workload exactly, and so must the session_buddy.* metrics scraped from the Analytics
/// service's Prometheus endpoint and the ones it exports over OTLP/HTTP to a receiver on loopback.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PollerTests
{
    private const int Sessions = 5;          // N: all started
    private const int CheckpointedSessions = 3;
    private const int CheckpointsEach = 2;
    private const int Ended = 2;             // end writes one more checkpoint each, and completes the workflow
    private const int Failed = 2;            // K: update_session(status=failed)
    private const int Checkpoints = CheckpointedSessions * CheckpointsEach + Ended; // M
    private const int Active = Sessions - Ended - Failed;
    private const int Reflections = 3;

    private static readonly string[] SeedMetricNames =
    [
        "session_buddy.sessions.total", "session_buddy.workflows.completed", "session_buddy.workflows.failed", "session_buddy.checkpoints.total",
        "session_buddy.sessions.active", "session_buddy.performance.cpu_usage", "session_buddy.performance.memory_usage",
        "session_buddy.performance.response_time", "session_buddy.workflow.duration", "session_buddy.session.duration",
        "session_buddy.checkpoint.size",
    ];

    private OtlpSink _otlp = null!;
    private DistributedAppFixture _app = null!;
    private ToolClient _tools = null!;
    private string _workingDirectory = null!;
    private int _callsMade;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Every process exports over OTLP/HTTP to this receiver, metrics every second (the SDK's default is a minute).
        _otlp = await OtlpSink.StartAsync(keepBodies: true);
        (string Name, string Value)[] otlpVariables = [("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_METRIC_EXPORT_INTERVAL", "1000")];
        foreach (var (name, value) in otlpVariables)
        {
            Environment.SetEnvironmentVariable(name, value); // inherited by the processes the fixture starts
        }
        try
        {
            _app = await DistributedAppFixture.CreateAsync(new FixtureOptions { OtlpEndpoint = _otlp.Endpoint.ToString() });
        }
        finally
        {
            foreach (var (name, _) in otlpVariables)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
        _tools = await ToolClient.ConnectAsync(_app.McpUri);
        _workingDirectory = Directory.CreateTempSubdirectory("e2e-poller-").FullName;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _tools.DisposeAsync();
        await _app.DisposeAsync();
        await _otlp.DisposeAsync();
        Directory.Delete(_workingDirectory, recursive: true);
    }

    [Test]
    public async Task The_poller_and_the_exporter_see_exactly_the_scripted_workload()
    {
        var ids = new List<string>();
        for (var i = 0; i < Sessions; i++)
        {
            ids.Add((await CallOkAsync("start", new { working_directory = _workingDirectory, project = "poller" })).GetProperty("id").GetString()!);
            await CallOkAsync("add_message", new { session_id = ids[i], role = "user", content = $"step {i}" });
        }
        for (var i = 0; i < CheckpointedSessions; i++)
        {
            for (var c = 0; c < CheckpointsEach; c++)
            {
                await CallOkAsync("checkpoint", new { session_id = ids[i], summary = $"checkpoint {c} of session {i}" });
            }
        }
        for (var i = 0; i < Ended; i++)
        {
            await CallOkAsync("end", new { session_id = ids[i], summary = "done" });
        }
        for (var i = Sessions - Failed; i < Sessions; i++)
        {
            await CallOkAsync("update_session", new { session_id = ids[i], status = "failed" });
        }
        for (var i = 0; i < Reflections; i++)
        {
            await CallOkAsync("store_reflection", new { content = $"lesson {i}: poll every interval", project = "poller", session_id = ids[0] });
        }
        await CallOkAsync("store_reflection", new { content = "lesson 0: poll every interval", project = "poller" }); // a duplicate: not stored again
        // Worker pools keep a stock of prepared task sessions (project workerpool): real sessions, counted in the total.
        // This call is served by the gateway like the others, so it is part of the counted workload.
        var prepared = (await CallOkAsync("list_sessions", new { project = "workerpool", limit = 100 })).GetProperty("sessions").GetArrayLength();
        var workloadCalls = _callsMade;

        var poller = new SeedPoller(_tools, TimeSpan.FromSeconds(1));
        var expected = new Dictionary<string, double>
        {
            ["session_buddy.sessions.total"] = Sessions + prepared,
            ["session_buddy.sessions.active"] = Active,
            ["session_buddy.workflows.completed"] = Ended,
            ["session_buddy.workflows.failed"] = Failed,
            ["session_buddy.checkpoints.total"] = Checkpoints,
            ["poller.reflections_stored"] = Reflections,
            ["poller.messages"] = Sessions,
        };
        var seen = await poller.PollUntilAsync(values =>
            expected.All(e => values.GetValueOrDefault(e.Key, double.NaN) == e.Value) && values["poller.response_time_calls"] >= workloadCalls,
            TimeSpan.FromSeconds(60));

        Assert.Multiple(() =>
        {
            foreach (var (name, value) in expected)
            {
                Assert.That(seen[name], Is.EqualTo(value), name);
            }
            Assert.That(seen["session_buddy.checkpoint.size"], Is.GreaterThan(0), "avg_checkpoint_size (bytes)");
            Assert.That(seen["session_buddy.workflow.duration"], Is.GreaterThanOrEqualTo(0), "avg_duration (s)");
            Assert.That(seen["session_buddy.performance.memory_usage"], Is.GreaterThan(10), "every process's working set (MB)");
            Assert.That(seen["session_buddy.performance.cpu_usage"], Is.InRange(0, 100), "cpu_usage (percent)");
            Assert.That(seen["session_buddy.performance.response_time"], Is.GreaterThan(0), "mean tool-call latency (ms)");
            Assert.That(seen["poller.response_time_calls"], Is.InRange(workloadCalls, workloadCalls + poller.CallsMade),
                "every tool call the gateway served is counted once");
        });

        // The exporter: counters and gauges equal the tools' numbers; histograms count each checkpoint and workflow once.
        using var http = new HttpClient();
        var metricsUri = new Uri(_app.GetEndpoint("analytics"), "/metrics");
        var scraped = await PollScrapeAsync(http, metricsUri, m =>
            m.Get("session_buddy_sessions_total") == Sessions + prepared && m.Get("session_buddy_checkpoints_total") == Checkpoints
            && m.Get("session_buddy_workflows_failed_total") == Failed && m.Get("session_buddy_workflows_completed_total") == Ended
            && m.Get("session_buddy_sessions_active") == Active && m.Get("session_buddy_performance_response_time_milliseconds") > 0);
        // The same workflows per day through the predefined query (read from the hourly tallies).
        var outcomes = (await _tools.CallOkAsync("query_analytics", new { query_name = "workflow_outcomes" })).GetProperty("rows").EnumerateArray().ToList();
        static long Cell(JsonElement row, int column) =>
            row[column].ValueKind == JsonValueKind.Number ? row[column].GetInt64() : long.Parse(row[column].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That((outcomes.Sum(r => Cell(r, 1)), outcomes.Sum(r => Cell(r, 2))), Is.EqualTo(((long)Ended, (long)Failed)), "workflow_outcomes: completed and failed");
        var analytics = await _tools.CallOkAsync("get_session_analytics", new { });
        Assert.Multiple(() =>
        {
            Assert.That(scraped.Get("session_buddy_sessions_total"), Is.EqualTo(Sessions + prepared), scraped.Text);
            Assert.That(scraped.Get("session_buddy_sessions_active"), Is.EqualTo(Active));
            Assert.That(scraped.Get("session_buddy_checkpoints_total"), Is.EqualTo(Checkpoints));
            Assert.That(scraped.Get("session_buddy_workflows_completed_total"), Is.EqualTo(Ended));
            Assert.That(scraped.Get("session_buddy_workflows_failed_total"), Is.EqualTo(Failed));
            Assert.That(scraped.Get("session_buddy_checkpoint_size_bytes_count"), Is.EqualTo(Checkpoints));
            Assert.That(scraped.Get("session_buddy_checkpoint_size_bytes_sum") / Checkpoints,
                Is.EqualTo(analytics.GetProperty("avg_checkpoint_size").GetDouble()).Within(0.001), "mean checkpoint size");
            Assert.That(scraped.Get("session_buddy_workflow_duration_seconds_count"), Is.EqualTo(Ended + Failed));
            Assert.That(scraped.Get("session_buddy_session_duration_seconds_count"), Is.EqualTo(Ended + Failed));
            Assert.That(scraped.Get("session_buddy_performance_memory_usage_megabytes"), Is.GreaterThan(10));
            Assert.That(scraped.Get("session_buddy_performance_response_time_milliseconds"), Is.GreaterThan(0));
            Assert.That(scraped.Get("session_buddy_performance_cpu_usage_percent"), Is.InRange(0, 100), "the cpu_usage gauge");
        });

        // The kinds of seed 002: 4 counters, 4 gauges, 3 histograms, by the `# TYPE` lines of the exposition.
        var kinds = scraped.Types.Where(t => t.Key.StartsWith("session_buddy_", StringComparison.Ordinal))
            .GroupBy(t => t.Value).ToDictionary(g => g.Key, g => g.Select(t => t.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(kinds.GetValueOrDefault("counter"), Is.EquivalentTo(new[]
            {
                "session_buddy_sessions_total", "session_buddy_workflows_completed_total", "session_buddy_workflows_failed_total",
                "session_buddy_checkpoints_total",
            }), scraped.Text);
            Assert.That(kinds.GetValueOrDefault("gauge"), Is.EquivalentTo(new[]
            {
                "session_buddy_sessions_active", "session_buddy_performance_cpu_usage_percent", "session_buddy_performance_memory_usage_megabytes",
                "session_buddy_performance_response_time_milliseconds",
            }), scraped.Text);
            Assert.That(kinds.GetValueOrDefault("histogram"), Is.EquivalentTo(new[]
            {
                "session_buddy_workflow_duration_seconds", "session_buddy_session_duration_seconds", "session_buddy_checkpoint_size_bytes",
            }), scraped.Text);
            Assert.That(kinds.Keys, Is.EquivalentTo(new[] { "counter", "gauge", "histogram" }), scraped.Text);
        });

        // OTLP: the same 11 instruments reach the receiver (protobuf keeps names as UTF-8, so they can be found in the bodies).
        string[] missing = SeedMetricNames;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (missing.Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            var exported = string.Join('\n', _otlp.Bodies("metrics").Select(b => Encoding.UTF8.GetString(b)));
            missing = [.. SeedMetricNames.Where(name => !exported.Contains(name, StringComparison.Ordinal))];
        }
        Assert.That(missing, Is.Empty, $"session_buddy.* metrics not exported over OTLP ({_otlp.Bodies("metrics").Count} /v1/metrics bodies received)");
    }

    // On this private system: the failed tasks become worker_execution memories, which the suite's searches must not see.
    [Test]
    public async Task Get_insights_finds_a_failure_hot_spot_by_worker_type()
    {
        var workerType = $"flaky-{Guid.NewGuid():N}"[..16];
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(_app.MessagingUri));
        await bus.StartAsync();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                await bus.Publish(new WorkerTaskCompleted($"w{i}", Guid.NewGuid(), workerType, "exit 1", i == 0 ? "completed" : "failed",
                    null, i == 0 ? null : "boom", i == 0 ? 0 : 1, 0.5, null, DateTimeOffset.UtcNow));
            }
        }
        finally
        {
            await bus.StopAsync();
        }

        JsonElement? hotSpot = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (hotSpot?.ValueKind != JsonValueKind.Object && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            var insights = await CallOkAsync("get_insights", new { days = 1 });
            hotSpot = insights.GetProperty("insights").EnumerateArray()
                .FirstOrDefault(i => i.GetProperty("kind").GetString() == "worker_failure_hot_spot" && i.GetProperty("title").GetString()!.Contains(workerType));
        }
        Assert.That(hotSpot!.Value.GetProperty("value").GetDouble(), Is.EqualTo(0.75));
        Assert.That(hotSpot.Value.GetProperty("severity").GetString(), Is.EqualTo("critical"));

        // The same numbers through the predefined query, run with its default parameters.
        var byType = await CallOkAsync("query_analytics", new { query_name = "worker_failures_by_type" });
        var row = byType.GetProperty("rows").EnumerateArray().Single(r => r[0].GetString() == workerType);
        Assert.That(new[] { row[1].GetString(), row[2].GetString(), row[3].GetString() }, Is.EqualTo(new[] { "4", "3", "0.750" }));
    }

    // On this private system: AkoshaSync forwards collected pool results to the hub, which the suite's Akosha tests count.
    [Test]
    public async Task Export_analytics_pages_worker_pool_runs_as_csv_and_json()
    {
        var (first, second) = ($"pool-{Guid.NewGuid():N}-a", $"pool-{Guid.NewGuid():N}-b");
        var at = DateTimeOffset.UtcNow;
        var since = at.AddSeconds(-1).ToString("O");
        WorkerTaskCompleted Result(string status) => new("w0", Guid.NewGuid(), "shell", "true", status, null, null, 0, 0.1, null, at);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(_app.MessagingUri));
        await bus.StartAsync();
        try
        {
            await bus.Publish(new PoolResultsCollected(first, [Result(WorkerTaskStatuses.Completed), Result(WorkerTaskStatuses.Failed)], at));
            await bus.Publish(new PoolResultsCollected(second, [Result(WorkerTaskStatuses.Completed)], at.AddMilliseconds(1)));
        }
        finally
        {
            await bus.StopAsync();
        }

        JsonElement[] runs = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (runs.Length < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            var json = await CallOkAsync("export_analytics", new { dataset = "pool_runs", format = "json", since });
            runs = [.. JsonDocument.Parse(json.GetProperty("content").GetString()!).RootElement.EnumerateArray()
                .Where(r => r.GetProperty("pool_id").GetString() is { } id && (id == first || id == second)).Select(r => r.Clone())];
        }
        Assert.That(runs.Select(r => (r.GetProperty("pool_id").GetString(), r.GetProperty("tasks").GetInt64(), r.GetProperty("failed").GetInt64())),
            Is.EqualTo(new[] { (first, 2L, 1L), (second, 1L, 0L) }));

        var csv = (await CallOkAsync("export_analytics", new { dataset = "pool_runs", format = "csv", since })).GetProperty("content").GetString()!
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(csv[0], Is.EqualTo("pool_id,tasks,failed,collected_at"));
        Assert.That(csv.Skip(1).Where(l => l.StartsWith(first, StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(1).And.All.StartWith($"{first},2,1,"));

        // One row per chunk: each run exactly once, in time order, then no cursor.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            var chunk = await CallOkAsync("export_analytics", new { dataset = "pool_runs", format = "csv", since, limit = 1, cursor });
            paged.AddRange(chunk.GetProperty("content").GetString()!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[0]));
            cursor = chunk.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null && paged.Count < 100);
        Assert.That(paged.Where(id => id == first || id == second), Is.EqualTo(new[] { first, second }));
        Assert.That(paged, Is.Unique);
    }

    /// <summary>Every tool call of this fixture's tests goes through here, so the poller test knows how many the gateway served.</summary>
    private async Task<JsonElement> CallOkAsync(string tool, object arguments)
    {
        _callsMade++;
        return await _tools.CallOkAsync(tool, arguments);
    }

    private static async Task<PrometheusText> PollScrapeAsync(HttpClient http, Uri uri, Func<PrometheusText, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        PrometheusText scraped;
        do
        {
            scraped = new PrometheusText(await http.GetStringAsync(uri));
            if (done(scraped))
            {
                break;
            }
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
        return scraped;
    }
}

/// <summary>
/// What seed 002's SessionBuddyPoller does each interval: call get_activity_summary, get_workflow_metrics,
/// get_session_analytics and get_performance_metrics over MCP and convert their fields to session_buddy.* values.
/// </summary>
internal sealed class SeedPoller(ToolClient tools, TimeSpan interval)
{
    public int CallsMade { get; private set; }

    public async Task<Dictionary<string, double>> PollOnceAsync()
    {
        var activity = await CallAsync("get_activity_summary");
        var workflows = await CallAsync("get_workflow_metrics");
        var sessions = await CallAsync("get_session_analytics");
        var performance = await CallAsync("get_performance_metrics");
        return new Dictionary<string, double>
        {
            ["session_buddy.sessions.total"] = Number(activity, "total_sessions"),
            ["session_buddy.sessions.active"] = Number(activity, "active_sessions"),
            ["session_buddy.workflows.completed"] = Number(workflows, "workflows_completed"),
            ["session_buddy.workflows.failed"] = Number(workflows, "workflows_failed"),
            ["session_buddy.workflow.duration"] = Number(workflows, "avg_duration"),
            ["session_buddy.checkpoints.total"] = Number(sessions, "total_checkpoints"),
            ["session_buddy.checkpoint.size"] = Number(sessions, "avg_checkpoint_size"),
            ["session_buddy.session.duration"] = Number(sessions, "session_duration"),
            ["session_buddy.performance.cpu_usage"] = Number(performance, "cpu_usage"),
            ["session_buddy.performance.memory_usage"] = Number(performance, "memory_usage"),
            ["session_buddy.performance.response_time"] = Number(performance, "response_time"),
            ["poller.response_time_calls"] = Number(performance.GetProperty("response_time_percentiles"), "calls"),
            ["poller.recent_activity"] = activity.GetProperty("recent_activity").GetArrayLength(),
            ["poller.reflections_stored"] = Number(activity, "reflections_stored"),
            ["poller.messages"] = Number(activity, "messages"),
        };
    }

    /// <summary>Polls every interval until <paramref name="done"/> holds or the time is up; returns the last values.</summary>
    public async Task<Dictionary<string, double>> PollUntilAsync(Func<Dictionary<string, double>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(interval);
        var values = await PollOnceAsync();
        while (!done(values) && DateTime.UtcNow < deadline && await timer.WaitForNextTickAsync())
        {
            values = await PollOnceAsync();
        }
        return values;
    }

    private async Task<JsonElement> CallAsync(string tool)
    {
        CallsMade++;
        return await tools.CallOkAsync(tool);
    }

    private static double Number(JsonElement result, string field) =>
        result.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new AssertionException($"the poller cannot convert {field}: {result}");
}
