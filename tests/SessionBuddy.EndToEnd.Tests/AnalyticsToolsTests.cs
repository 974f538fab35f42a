using System.Text.Json;
using MassTransit;
using SessionBuddy.Contracts.Analytics;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.EndToEnd.Tests;

/// <summary>summarize_session, get_insights, query_analytics and export_analytics on real events, and every analytics tool's refusals.</summary>
[TestFixture]
public sealed class AnalyticsToolsTests
{
    private ToolClient _tools = null!;
    private string _workingDirectory = null!;
    private string _project = null!;
    private string _sessionId = null!;
    private DateTimeOffset _startedAt;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _tools = await ToolClient.ConnectAsync(Suite.App.McpUri);
        _workingDirectory = Directory.CreateTempSubdirectory("e2e-analytics-").FullName;
        _project = $"analytics-{Guid.NewGuid():N}";
        _startedAt = DateTimeOffset.UtcNow.AddSeconds(-1);

        // One whole session: start, two messages, a checkpoint, end (a second checkpoint).
        _sessionId = (await _tools.CallOkAsync("start", new { working_directory = _workingDirectory, project = _project })).GetProperty("id").GetString()!;
        await _tools.CallOkAsync("add_message", new { session_id = _sessionId, role = "user", content = "first" });
        await _tools.CallOkAsync("add_message", new { session_id = _sessionId, role = "assistant", content = "second" });
        await _tools.CallOkAsync("checkpoint", new { session_id = _sessionId, summary = "halfway" });
        await _tools.CallOkAsync("end", new { session_id = _sessionId, summary = "done" });
        await EventuallyAsync(async () =>
        {
            var summary = await _tools.CallAsync("summarize_session", new { session_id = _sessionId });
            return summary.IsError != true && summary.StructuredContent!.Value.GetProperty("status").GetString() == "completed"
                && summary.StructuredContent.Value.GetProperty("checkpoints").GetInt64() == 2
                && summary.StructuredContent.Value.GetProperty("messages").GetInt64() == 2;
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _tools.DisposeAsync();
        Directory.Delete(_workingDirectory, recursive: true);
    }

    [Test]
    public async Task Summarize_session_reports_what_the_session_did()
    {
        var summary = await _tools.CallOkAsync("summarize_session", new { session_id = _sessionId });
        Assert.Multiple(() =>
        {
            Assert.That(summary.GetProperty("project").GetString(), Is.EqualTo(_project));
            Assert.That(summary.GetProperty("messages").GetInt64(), Is.EqualTo(2));
            Assert.That(summary.GetProperty("content_chars").GetInt64(), Is.EqualTo("first".Length + "second".Length));
            Assert.That(summary.GetProperty("quality_scores").GetArrayLength(), Is.EqualTo(2));
            Assert.That(summary.GetProperty("avg_checkpoint_size").GetDouble(), Is.GreaterThan(0));
            Assert.That(summary.GetProperty("duration_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(summary.GetProperty("summary").GetString(), Does.Contain("completed").And.Contain("2 messages"));
        });
    }

    [Test]
    public async Task Query_analytics_lists_its_queries_and_runs_them_with_parameters()
    {
        var list = await _tools.CallOkAsync("query_analytics", new { query_name = "list" });
        var names = list.GetProperty("available_queries").EnumerateArray().Select(q => q.GetProperty("name").GetString()).ToList();
        Assert.That(names, Does.Contain("top_sessions_by_messages").And.Contain("worker_failures_by_type").And.Contain("daily_activity"));

        var top = await _tools.CallOkAsync("query_analytics", new { query_name = "top_sessions_by_messages", parameters = new { project = _project, limit = 5 } });
        var columns = top.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).ToList();
        var rows = top.GetProperty("rows").EnumerateArray().ToList();
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0][columns.IndexOf("session_id")].GetString(), Is.EqualTo(_sessionId));
        Assert.That(rows[0][columns.IndexOf("messages")].GetString(), Is.EqualTo("2"));
    }

    [Test]
    public async Task Export_analytics_writes_csv_and_json_and_pages_by_cursor()
    {
        var since = _startedAt.ToString("O");
        var csv = await _tools.CallOkAsync("export_analytics", new { dataset = "workflows", format = "csv", since });
        var lines = csv.GetProperty("content").GetString()!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("session_id,project,outcome"));
        Assert.That(lines.Skip(1).Where(l => l.StartsWith(_sessionId)).ToList(), Has.Count.EqualTo(1).And.All.Contain(",completed,"));

        var json = await _tools.CallOkAsync("export_analytics", new { dataset = "checkpoints", format = "json", since });
        var checkpoints = JsonDocument.Parse(json.GetProperty("content").GetString()!).RootElement.EnumerateArray()
            .Where(c => c.GetProperty("session_id").GetString() == _sessionId).ToList();
        Assert.That(checkpoints.Select(c => c.GetProperty("sequence").GetInt64()), Is.EqualTo(new long[] { 1, 2 }));

        // One row per chunk: every checkpoint since the start comes exactly once, then no cursor.
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var chunk = await _tools.CallOkAsync("export_analytics", new { dataset = "checkpoints", format = "json", since, limit = 1, cursor });
            seen.AddRange(JsonDocument.Parse(chunk.GetProperty("content").GetString()!).RootElement.EnumerateArray()
                .Select(c => c.GetProperty("checkpoint_id").GetString()!));
            cursor = chunk.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null && seen.Count < 1000);
        Assert.That(seen, Is.Unique);
        Assert.That(seen, Is.SupersetOf(checkpoints.Select(c => c.GetProperty("checkpoint_id").GetString())));
    }

    [TestCase("hours", 0)]
    [TestCase("hours", -2)]
    [TestCase("hours", 1e9)]
    public async Task Get_activity_summary_refuses_bad_hours(string argument, double hours) =>
        Assert.That(await _tools.CallErrorAsync("get_activity_summary", new { hours }), Does.Contain(argument).And.Contain("at most"));

    [Test]
    public async Task Get_workflow_metrics_refuses_bad_days_back()
    {
        Assert.That(await _tools.CallErrorAsync("get_workflow_metrics", new { days_back = 0 }), Does.Contain("days_back"));
        Assert.That(await _tools.CallErrorAsync("get_workflow_metrics", new { days_back = 100_000 }), Does.Contain("days_back").And.Contain("366"));
    }

    [Test]
    public async Task Get_session_analytics_refuses_huge_limits_and_unknown_sort_keys()
    {
        Assert.That(await _tools.CallErrorAsync("get_session_analytics", new { limit = 1_000_000 }), Does.Contain("limit").And.Contain("100"));
        Assert.That(await _tools.CallErrorAsync("get_session_analytics", new { sort_by = "name; DROP TABLE x" }),
            Does.Contain("sort_by").And.Contain("last_activity, messages"));
    }

    [Test]
    public async Task Session_duration_runs_from_creation_to_end_in_the_tool_and_in_the_histogram()
    {
        using var http = new HttpClient();
        var metricsUri = new Uri(Suite.App.GetEndpoint("analytics"), "/metrics");
        var before = new PrometheusText(await http.GetStringAsync(metricsUri));

        // Created 1,000 s before it ended, started only 40 s before: session duration 1,000 s, workflow duration 40 s.
        var sessionId = Guid.NewGuid();
        var project = $"late-start-{Guid.NewGuid():N}";
        var ended = DateTimeOffset.UtcNow;
        var (created, started) = (ended.AddSeconds(-1_000), ended.AddSeconds(-40));
        await PublishAsync(
            new SessionCreated(sessionId, "late start", project, created),
            new SessionStatusChanged(sessionId, project, "running", "completed", created, started, ended));
        PrometheusText after = before;
        await EventuallyAsync(async () =>
        {
            after = new PrometheusText(await http.GetStringAsync(metricsUri));
            return after.Get("session_buddy_session_duration_seconds_count") > before.Get("session_buddy_session_duration_seconds_count");
        });
        Assert.Multiple(() =>
        {
            Assert.That(after.Get("session_buddy_session_duration_seconds_sum") - before.Get("session_buddy_session_duration_seconds_sum"),
                Is.EqualTo(1_000).Within(0.001), "session.duration: creation to end");
            Assert.That(after.Get("session_buddy_workflow_duration_seconds_sum") - before.Get("session_buddy_workflow_duration_seconds_sum"),
                Is.EqualTo(40).Within(0.001), "workflow.duration: start to end");
        });

        // The tool's session_duration is the mean of the same per-session durations: every workflow run's session_seconds.
        var runs = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var chunk = await _tools.CallOkAsync("export_analytics", new { dataset = "workflows", format = "json", limit = 10_000, cursor });
            runs.AddRange(JsonDocument.Parse(chunk.GetProperty("content").GetString()!).RootElement.EnumerateArray().Select(r => r.Clone()));
            cursor = chunk.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        var run = runs.Single(r => r.GetProperty("session_id").GetString() == sessionId.ToString());
        var analytics = await _tools.CallOkAsync("get_session_analytics", new { });
        Assert.Multiple(() =>
        {
            Assert.That(run.GetProperty("session_seconds").GetDouble(), Is.EqualTo(1_000).Within(0.001));
            Assert.That(run.GetProperty("duration_seconds").GetDouble(), Is.EqualTo(40).Within(0.001));
            Assert.That(analytics.GetProperty("session_duration").GetDouble(),
                Is.EqualTo(runs.Average(r => r.GetProperty("session_seconds").GetDouble())).Within(0.002));
            Assert.That(analytics.GetProperty("avg_session_duration").GetDouble(), Is.EqualTo(analytics.GetProperty("session_duration").GetDouble()));
        });
    }

    [Test]
    public async Task Get_performance_metrics_lists_the_cpu_and_memory_of_every_service_and_the_gateway()
    {
        string[] services = ["sessions", "memory", "analytics", "workerpool", "akoshasync", "gateway"];
        JsonElement performance = default;
        // Every process reports every 5 s; the suite may have started moments ago.
        await EventuallyAsync(async () =>
        {
            performance = await _tools.CallOkAsync("get_performance_metrics", new { });
            var reporting = performance.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("service").GetString()).ToHashSet();
            return services.All(reporting.Contains);
        });
        var processes = performance.GetProperty("processes").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            foreach (var service in services)
            {
                var process = processes.First(p => p.GetProperty("service").GetString() == service);
                Assert.That(process.GetProperty("cpu_usage").GetDouble(), Is.InRange(0, 100), service + " cpu_usage (percent)");
                Assert.That(process.GetProperty("memory_usage").GetDouble(), Is.GreaterThan(10), service + " memory_usage (MB)");
            }
            Assert.That(performance.GetProperty("memory_usage").GetDouble(),
                Is.EqualTo(processes.Sum(p => p.GetProperty("memory_usage").GetDouble())).Within(0.5), "memory_usage is the processes' sum");
        });
    }

    [Test]
    public async Task Get_performance_metrics_refuses_bad_minutes() =>
        Assert.That(await _tools.CallErrorAsync("get_performance_metrics", new { minutes = 0 }), Does.Contain("minutes").And.Contain("1440"));

    [Test]
    public async Task Summarize_session_refuses_bad_and_unknown_ids()
    {
        Assert.That(await _tools.CallErrorAsync("summarize_session", new { session_id = "yesterday" }), Does.Contain("session_id").And.Contain("UUID"));
        Assert.That(await _tools.CallErrorAsync("summarize_session", new { session_id = Guid.NewGuid().ToString() }), Does.Contain("session_id"));
    }

    [Test]
    public async Task Get_insights_names_slow_tools_by_their_p95_and_counts_old_active_sessions_without_checkpoints()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var project = $"idle-{suffix}";
        var now = DateTimeOffset.UtcNow;
        // slow: 2 of 20 calls take 5 s (p95 5,000 ms); spiky: 1 of 20 takes 1,000 s (p95 50,009.5 ms: one call is enough); steady: none is slow.
        var samples = new List<ToolCallSample>();
        for (var i = 0; i < 20; i++)
        {
            samples.Add(new ToolCallSample($"slow-{suffix}", i < 2 ? 5_000 : 10, false, now));
            samples.Add(new ToolCallSample($"spiky-{suffix}", i == 0 ? 1_000_000 : 10, false, now));
            samples.Add(new ToolCallSample($"steady-{suffix}", 1_500, false, now));
        }
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(Suite.App.MessagingUri));
        await bus.StartAsync();
        try
        {
            await bus.Publish(new ToolCallsTimed($"probe-{suffix}", now.AddSeconds(-5), now, samples.Count, samples,
                new ProcessUsageSample("probe", $"probe-{suffix}", 0, 0, now.AddHours(-1))));
            // Two running sessions of the project: one started two hours ago, one just now (too young to count).
            await bus.Publish(new SessionStatusChanged(Guid.NewGuid(), project, "starting", "running", now.AddHours(-2), now.AddHours(-2), now.AddHours(-2)));
            await bus.Publish(new SessionStatusChanged(Guid.NewGuid(), project, "starting", "running", now, now, now));
        }
        finally
        {
            await bus.StopAsync();
        }

        JsonElement[] insights = [];
        await EventuallyAsync(async () =>
        {
            insights = [.. (await _tools.CallOkAsync("get_insights", new { project, days = 1 })).GetProperty("insights").EnumerateArray()];
            return insights.Count(i => i.GetProperty("title").GetString()!.Contains(suffix)) == 2
                && insights.Any(i => i.GetProperty("kind").GetString() == "sessions_without_checkpoints");
        });
        var slow = insights.Where(i => i.GetProperty("kind").GetString() == "slow_tool").ToDictionary(i => i.GetProperty("title").GetString()!, i => i.GetProperty("value").GetDouble());
        Assert.That(slow[$"slow-{suffix} is slow"], Is.EqualTo(5_000));
        Assert.That(slow[$"spiky-{suffix} is slow"], Is.EqualTo(50_009.5));
        Assert.That(slow.Keys, Has.None.Contains($"steady-{suffix}"));
        Assert.That(insights.Single(i => i.GetProperty("kind").GetString() == "sessions_without_checkpoints").GetProperty("value").GetDouble(), Is.EqualTo(1));
    }

    [Test]
    public async Task Get_workflow_metrics_and_get_insights_judge_a_projects_quality_trend_and_workflow_failures()
    {
        var project = $"trend-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;
        var twoDaysAgo = now.AddDays(-2);
        // Quality: two checkpoints of 80 two days ago, one of 50 today (mean 70, declining).
        // Workflows: one completed after 60 s, two failed after 120 s and 180 s (mean 120 s, 2 of 3 failed).
        var (first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await PublishWithIdsAsync(
            (new CheckpointCreated(first, Guid.NewGuid(), 1, 80, twoDaysAgo, 100, project), null),
            (new CheckpointCreated(second, Guid.NewGuid(), 1, 80, twoDaysAgo.AddMinutes(1), 100, project), null),
            (new CheckpointCreated(third, Guid.NewGuid(), 1, 50, now, 100, project), null),
            (new SessionStatusChanged(first, project, "running", "completed", now.AddSeconds(-60), now.AddSeconds(-60), now), null),
            (new SessionStatusChanged(second, project, "running", "failed", now.AddSeconds(-120), now.AddSeconds(-120), now), null),
            (new SessionStatusChanged(third, project, "running", "failed", now.AddSeconds(-180), now.AddSeconds(-180), now), null));

        JsonElement metrics = default;
        await EventuallyAsync(async () =>
        {
            metrics = await _tools.CallOkAsync("get_workflow_metrics", new { project, days_back = 30 });
            return metrics.GetProperty("workflows_completed").GetInt64() + metrics.GetProperty("workflows_failed").GetInt64() == 3
                && metrics.GetProperty("quality_by_day").EnumerateArray().Sum(d => d.GetProperty("checkpoints").GetInt64()) == 3;
        });
        var days = metrics.GetProperty("quality_by_day").EnumerateArray()
            .Select(d => (Day: d.GetProperty("day").GetString(), Checkpoints: d.GetProperty("checkpoints").GetInt64(), Quality: d.GetProperty("avg_quality_score").GetDouble()))
            .ToList();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.GetProperty("workflows_completed").GetInt64(), Is.EqualTo(1));
            Assert.That(metrics.GetProperty("workflows_failed").GetInt64(), Is.EqualTo(2));
            Assert.That(metrics.GetProperty("avg_duration").GetDouble(), Is.EqualTo(120).Within(0.001), "avg_duration (s)");
            Assert.That(metrics.GetProperty("avg_session_duration_minutes").GetDouble(), Is.EqualTo(2).Within(0.001), "avg_session_duration_minutes");
            Assert.That(metrics.GetProperty("avg_quality_score").GetDouble(), Is.EqualTo(70).Within(0.001));
            Assert.That(metrics.GetProperty("quality_trend").GetString(), Is.EqualTo("declining"));
            Assert.That(days, Is.EqualTo(new[]
            {
                (twoDaysAgo.UtcDateTime.ToString("yyyy-MM-dd"), 2L, 80.0),
                (now.UtcDateTime.ToString("yyyy-MM-dd"), 1L, 50.0),
            }));
        });

        // Slow tools are judged over every tool call, not per project: only this project's two rules are looked at.
        var insights = (await _tools.CallOkAsync("get_insights", new { project, days = 30 })).GetProperty("insights").EnumerateArray()
            .Where(i => i.GetProperty("kind").GetString() is "quality_trend" or "workflow_failures")
            .ToDictionary(i => i.GetProperty("kind").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(insights["quality_trend"].GetProperty("severity").GetString(), Is.EqualTo("warning"));
            Assert.That(insights["quality_trend"].GetProperty("title").GetString(), Does.Contain("declining"));
            Assert.That(insights["quality_trend"].GetProperty("detail").GetString(), Does.Contain("from 80 to 50"));
            Assert.That(insights["quality_trend"].GetProperty("value").GetDouble(), Is.EqualTo(50));
            Assert.That(insights["workflow_failures"].GetProperty("severity").GetString(), Is.EqualTo("critical"));
            Assert.That(insights["workflow_failures"].GetProperty("detail").GetString(), Does.Contain("2 of 3"));
            Assert.That(insights["workflow_failures"].GetProperty("value").GetDouble(), Is.EqualTo(0.667));
        });
    }

    [Test]
    public async Task Redelivered_status_changes_and_checkpoints_change_the_projections_once()
    {
        var (project, markerProject) = ($"redelivery-{Guid.NewGuid():N}", $"marker-{Guid.NewGuid():N}");
        var (sessionId, markerId) = (Guid.NewGuid(), Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        var totalBefore = (await _tools.CallOkAsync("get_session_analytics", new { })).GetProperty("total_checkpoints").GetInt64();
        var statusChanged = new SessionStatusChanged(sessionId, project, "running", "completed", now.AddSeconds(-30), now.AddSeconds(-30), now);
        var checkpoint = new CheckpointCreated(sessionId, Guid.NewGuid(), 1, 75, now, 100, project);
        var (statusMessageId, checkpointMessageId) = (Guid.NewGuid(), Guid.NewGuid());
        // Each event twice with its message id (as an outbox that resends after a lost confirm), then a marker on the same queues.
        await PublishWithIdsAsync(
            (statusChanged, statusMessageId), (checkpoint, checkpointMessageId),
            (statusChanged, statusMessageId), (checkpoint, checkpointMessageId));
        await PublishWithIdsAsync(
            (new CheckpointCreated(markerId, Guid.NewGuid(), 1, 75, now, 100, markerProject), null),
            (new SessionStatusChanged(markerId, markerProject, "starting", "running", now, now, now), null));
        await EventuallyAsync(async () =>
        {
            var marker = await _tools.CallAsync("summarize_session", new { session_id = markerId.ToString() });
            return marker.IsError != true && marker.StructuredContent!.Value.GetProperty("status").GetString() == "running"
                && marker.StructuredContent.Value.GetProperty("checkpoints").GetInt64() == 1;
        });
        await Task.Delay(TimeSpan.FromSeconds(1)); // two batches run at once per queue: let a late duplicate land

        var summary = await _tools.CallOkAsync("summarize_session", new { session_id = sessionId.ToString() });
        var metrics = await _tools.CallOkAsync("get_workflow_metrics", new { project });
        var totalAfter = (await _tools.CallOkAsync("get_session_analytics", new { })).GetProperty("total_checkpoints").GetInt64();
        Assert.Multiple(() =>
        {
            Assert.That(summary.GetProperty("status").GetString(), Is.EqualTo("completed"));
            Assert.That(summary.GetProperty("checkpoints").GetInt64(), Is.EqualTo(1), "the session's checkpoints");
            Assert.That(metrics.GetProperty("workflows_completed").GetInt64(), Is.EqualTo(1), "workflows of the project");
            Assert.That(metrics.GetProperty("quality_by_day").EnumerateArray().Sum(d => d.GetProperty("checkpoints").GetInt64()), Is.EqualTo(1),
                "checkpoint tallies of the project");
            Assert.That(totalAfter - totalBefore, Is.EqualTo(2), "all-time checkpoints: the session's and the marker's");
        });
    }

    [Test]
    public async Task Get_insights_refuses_bad_days() =>
        Assert.That(await _tools.CallErrorAsync("get_insights", new { days = -3 }), Does.Contain("days"));

    [Test]
    public async Task Query_analytics_refuses_unknown_queries_and_bad_parameters()
    {
        Assert.That(await _tools.CallErrorAsync("query_analytics", new { query_name = "SELECT * FROM session_activity" }),
            Does.Contain("query_name").And.Contain("daily_activity"));
        Assert.That(await _tools.CallErrorAsync("query_analytics", new { query_name = "daily_activity", parameters = new { days = "many" } }),
            Does.Contain("parameters.days"));
        Assert.That(await _tools.CallErrorAsync("query_analytics", new { query_name = "daily_activity", parameters = new { days = 100_000 } }),
            Does.Contain("parameters.days").And.Contain("366"));
        Assert.That(await _tools.CallErrorAsync("query_analytics", new { query_name = "daily_activity", parameters = new { sql = "x" } }),
            Does.Contain("parameters").And.Contain("'sql'"));
    }

    [Test]
    public async Task Export_analytics_refuses_bad_datasets_formats_dates_limits_and_cursors()
    {
        Assert.That(await _tools.CallErrorAsync("export_analytics", new { dataset = "passwords" }), Does.Contain("dataset").And.Contain("sessions"));
        Assert.That(await _tools.CallErrorAsync("export_analytics", new { dataset = "sessions", format = "xml" }), Does.Contain("format"));
        Assert.That(await _tools.CallErrorAsync("export_analytics", new { dataset = "sessions", since = "last tuesday" }), Does.Contain("since").And.Contain("ISO 8601"));
        Assert.That(await _tools.CallErrorAsync("export_analytics", new { dataset = "sessions", since = "2026-12-04T10:00:00Z", until = "2026-12-01T00:00:00Z" }),
            Does.Contain("until"));
        Assert.That(await _tools.CallErrorAsync("export_analytics", new { dataset = "sessions", limit = 10_000_000 }), Does.Contain("limit").And.Contain("10000"));
        Assert.That(await _tools.CallErrorAsync("export_analytics", new { dataset = "sessions", cursor = "not-a-cursor" }), Does.Contain("cursor"));
    }

    /// <summary>Publishes events as the services would (each with its own message id), straight onto the suite's broker.</summary>
    private static Task PublishAsync(params object[] events) => PublishWithIdsAsync([.. events.Select(e => (e, (Guid?)null))]);

    /// <summary>Publishes events in order; a message id given is used as is (a repeat is a redelivery), otherwise each gets its own.</summary>
    private static async Task PublishWithIdsAsync(params (object Event, Guid? MessageId)[] events)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(Suite.App.MessagingUri));
        await bus.StartAsync();
        try
        {
            foreach (var (evt, messageId) in events)
            {
                await bus.Publish(evt, evt.GetType(), context =>
                {
                    if (messageId is { } id)
                    {
                        context.MessageId = id;
                    }
                });
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the analytics projections did not catch up within 30 s");
            await Task.Delay(200);
        }
    }
}
