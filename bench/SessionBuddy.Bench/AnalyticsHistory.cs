using Npgsql;
using NpgsqlTypes;

namespace SessionBuddy.Bench;

/// <summary>
/// A synthetic history written into analyticsdb's projection tables with binary COPY, consistent with what the
/// projections would have built from the same events: sessions over the last 60 days in 20 projects (5% running,
/// 80% completed, 10% failed, 5% never started) with their messages and 0-5 checkpoints each, one workflow per
/// ended session, per-minute counts, totals, 100,000 worker tasks and 15 minutes of tool-call samples.
/// </summary>
public static class AnalyticsHistory
{
    private static readonly string[] Projects = [.. Enumerable.Range(0, 20).Select(i => $"project-{i:00}")];
    private static readonly string[] WorkerTypes = ["shell", "terminal-claude", "terminal-qwen", "container"];
    private static readonly string[] Tools = ["get_session", "add_message", "checkpoint", "search_reflections", "get_activity_summary", "pool_execute"];

    public static async Task<string> SeedAsync(NpgsqlDataSource dataSource, int sessionCount, long messageCount)
    {
        var random = new Random(16);
        var now = DateTimeOffset.UtcNow;
        // What the projections tally: per minute (scope all) and per hour (scope all and the event's project or worker type).
        var minutes = new Dictionary<(string Kind, DateTimeOffset Minute), (long Count, long Points, double Seconds)>();
        var hours = new Dictionary<(string Kind, string Scope, DateTimeOffset Hour), (long Count, long Points, double Seconds)>();
        void Count(string kind, DateTimeOffset at, long count, string? scope = null, long points = 0, double seconds = 0)
        {
            var minute = new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, TimeSpan.Zero);
            var m = minutes.GetValueOrDefault((kind, minute));
            minutes[(kind, minute)] = (m.Count + count, m.Points + points, m.Seconds + seconds);
            foreach (var bucketScope in scope is null ? ["all"] : new[] { "all", scope })
            {
                var key = (kind, bucketScope, new DateTimeOffset(at.Year, at.Month, at.Day, at.Hour, 0, 0, TimeSpan.Zero));
                var h = hours.GetValueOrDefault(key);
                hours[key] = (h.Count + count, h.Points + points, h.Seconds + seconds);
            }
        }

        long checkpoints = 0, checkpointBytes = 0, completed = 0, failed = 0, workflowMs = 0, sessionMs = 0, messagesLeft = messageCount;
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var checkpointConnection = await dataSource.OpenConnectionAsync();
        await using var workflowConnection = await dataSource.OpenConnectionAsync();
        await using (var sessions = await connection.BeginBinaryImportAsync(
            "COPY session_activity (session_id, name, project, created_at, message_count, content_chars, last_activity, status, status_at, " +
            "started_at, ended_at, checkpoint_count, checkpoint_bytes, last_quality, last_quality_at) FROM STDIN (FORMAT BINARY)"))
        await using (var checkpointRows = await checkpointConnection.BeginBinaryImportAsync(
            "COPY checkpoint_activity (checkpoint_id, session_id, sequence, quality_score, size_bytes, created_at) FROM STDIN (FORMAT BINARY)"))
        await using (var workflows = await workflowConnection.BeginBinaryImportAsync(
            "COPY workflow_runs (session_id, ended_at, project, outcome, started_at, duration_seconds, session_seconds) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < sessionCount; i++)
            {
                var id = Guid.NewGuid();
                var project = Projects[i % Projects.Length];
                var created = now.AddSeconds(-random.Next(60 * 24 * 3600));
                var started = created.AddSeconds(random.Next(1, 120));
                var roll = random.Next(100);
                var status = roll < 5 ? "running" : roll < 85 ? "completed" : roll < 95 ? "failed" : "created";
                DateTimeOffset? ended = status is "completed" or "failed" ? started.AddSeconds(random.Next(60, 4 * 3600)) : null;
                var messages = i == sessionCount - 1 ? messagesLeft : Math.Min(messagesLeft, random.Next(0, (int)(2 * messageCount / sessionCount) + 1));
                messagesLeft -= messages;
                var sessionCheckpoints = status == "created" ? 0 : random.Next(0, 6);
                var lastActivity = ended ?? started.AddSeconds(random.Next(1, 3600));
                if (lastActivity > now)
                {
                    lastActivity = now;
                }
                long bytes = 0;
                int? lastQuality = null;
                for (var c = 1; c <= sessionCheckpoints; c++)
                {
                    var size = 600 + random.Next(2000);
                    var quality = 30 + random.Next(70);
                    var at = started.AddSeconds(c * 60);
                    bytes += size;
                    lastQuality = quality;
                    await checkpointRows.StartRowAsync();
                    await checkpointRows.WriteAsync(Guid.NewGuid());
                    await checkpointRows.WriteAsync(id);
                    await checkpointRows.WriteAsync((long)c);
                    await checkpointRows.WriteAsync(quality);
                    await checkpointRows.WriteAsync((long)size);
                    await checkpointRows.WriteAsync(at, NpgsqlDbType.TimestampTz);
                    Count("checkpoints", at, 1, "project:" + project, quality);
                }
                checkpoints += sessionCheckpoints;
                checkpointBytes += bytes;
                Count("sessions_created", created, 1, "project:" + project);
                Count("messages", lastActivity, messages);

                await sessions.StartRowAsync();
                await sessions.WriteAsync(id);
                await sessions.WriteAsync($"bench session {i}");
                await sessions.WriteAsync(project);
                await sessions.WriteAsync(created, NpgsqlDbType.TimestampTz);
                await sessions.WriteAsync(messages);
                await sessions.WriteAsync(messages * 200);
                await sessions.WriteAsync(lastActivity, NpgsqlDbType.TimestampTz);
                await sessions.WriteAsync(status);
                await sessions.WriteAsync(ended ?? started, NpgsqlDbType.TimestampTz);
                await sessions.WriteAsync(started, NpgsqlDbType.TimestampTz);
                await WriteNullableAsync(sessions, ended);
                await sessions.WriteAsync((long)sessionCheckpoints);
                await sessions.WriteAsync(bytes);
                if (lastQuality is { } q)
                {
                    await sessions.WriteAsync(q);
                    await sessions.WriteAsync(started.AddSeconds(sessionCheckpoints * 60), NpgsqlDbType.TimestampTz);
                }
                else
                {
                    await sessions.WriteNullAsync();
                    await sessions.WriteNullAsync();
                }

                if (ended is { } end)
                {
                    var seconds = (end - started).TotalSeconds;
                    (completed, failed) = status == "completed" ? (completed + 1, failed) : (completed, failed + 1);
                    workflowMs += (long)Math.Round(seconds * 1000);
                    sessionMs += (long)Math.Round((end - created).TotalSeconds * 1000);
                    Count(status == "completed" ? "workflows_completed" : "workflows_failed", end, 1, "project:" + project, 0, seconds);
                    await workflows.StartRowAsync();
                    await workflows.WriteAsync(id);
                    await workflows.WriteAsync(end, NpgsqlDbType.TimestampTz);
                    await workflows.WriteAsync(project);
                    await workflows.WriteAsync(status);
                    await workflows.WriteAsync(started, NpgsqlDbType.TimestampTz);
                    await workflows.WriteAsync(seconds);
                    await workflows.WriteAsync((end - created).TotalSeconds);
                }
            }
            await sessions.CompleteAsync();
            await checkpointRows.CompleteAsync();
            await workflows.CompleteAsync();
        }

        const int WorkerTasks = 100_000;
        var workerTasks = Enumerable.Range(0, WorkerTasks).Select(i =>
        {
            var type = WorkerTypes[i % WorkerTypes.Length];
            var task = (Type: type, Failed: random.Next(100) < (type == "container" ? 30 : 5), Duration: random.NextDouble() * 60,
                At: now.AddSeconds(-random.Next(30 * 24 * 3600)));
            Count("worker_tasks", task.At, 1, "worker_type:" + type, task.Failed ? 1 : 0, task.Duration);
            return task;
        }).ToList();

        // Into temporary tables first: the running services have tallied a few buckets already (the pools' prepared sessions).
        await using (var temporary = new NpgsqlCommand(
            "CREATE TEMP TABLE seed_minutes (LIKE activity_minutes); CREATE TEMP TABLE seed_hours (LIKE activity_hours)", connection))
        {
            await temporary.ExecuteNonQueryAsync();
        }
        await using (var buckets = await connection.BeginBinaryImportAsync(
            "COPY seed_minutes (kind, minute, count, points, seconds) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var ((kind, minute), tally) in minutes)
            {
                await buckets.StartRowAsync();
                await buckets.WriteAsync(kind);
                await buckets.WriteAsync(minute, NpgsqlDbType.TimestampTz);
                await buckets.WriteAsync(tally.Count);
                await buckets.WriteAsync(tally.Points);
                await buckets.WriteAsync(tally.Seconds);
            }
            await buckets.CompleteAsync();
        }
        await using (var buckets = await connection.BeginBinaryImportAsync(
            "COPY seed_hours (kind, scope, hour, count, points, seconds) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var ((kind, scope, hour), tally) in hours)
            {
                await buckets.StartRowAsync();
                await buckets.WriteAsync(kind);
                await buckets.WriteAsync(scope);
                await buckets.WriteAsync(hour, NpgsqlDbType.TimestampTz);
                await buckets.WriteAsync(tally.Count);
                await buckets.WriteAsync(tally.Points);
                await buckets.WriteAsync(tally.Seconds);
            }
            await buckets.CompleteAsync();
        }

        await using (var tasks = await connection.BeginBinaryImportAsync(
            "COPY worker_task_activity (task_id, worker_type, status, duration_seconds, pool_id, session_id, completed_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < WorkerTasks; i++)
            {
                var (type, taskFailed, duration, at) = workerTasks[i];
                await tasks.StartRowAsync();
                await tasks.WriteAsync(Guid.NewGuid());
                await tasks.WriteAsync(type);
                await tasks.WriteAsync(taskFailed ? "failed" : "completed");
                await tasks.WriteAsync(duration);
                await tasks.WriteAsync($"pool-{i % 10}");
                await tasks.WriteNullAsync();
                await tasks.WriteAsync(at, NpgsqlDbType.TimestampTz);
            }
            await tasks.CompleteAsync();
        }

        // Pool runs (export_analytics pool_runs): each pool's results collected once an hour, from the tasks above.
        await using (var poolRuns = new NpgsqlCommand(
            """
            INSERT INTO pool_runs (pool_id, collected_at, tasks, failed)
            SELECT pool_id, date_trunc('hour', completed_at) + interval '1 hour', count(*), count(*) FILTER (WHERE status <> 'completed')
            FROM worker_task_activity WHERE pool_id IS NOT NULL GROUP BY 1, 2
            ON CONFLICT DO NOTHING
            """, connection))
        {
            await poolRuns.ExecuteNonQueryAsync();
        }

        await using (var merge = new NpgsqlCommand(
            """
            INSERT INTO activity_minutes SELECT * FROM seed_minutes ON CONFLICT (kind, minute) DO UPDATE SET count = activity_minutes.count + excluded.count,
                points = activity_minutes.points + excluded.points, seconds = activity_minutes.seconds + excluded.seconds;
            INSERT INTO activity_hours SELECT * FROM seed_hours ON CONFLICT (kind, scope, hour) DO UPDATE SET count = activity_hours.count + excluded.count,
                points = activity_hours.points + excluded.points, seconds = activity_hours.seconds + excluded.seconds;
            """, connection))
        {
            merge.CommandTimeout = 300;
            await merge.ExecuteNonQueryAsync();
        }

        const int ToolSamples = 30_000;
        await using (var samples = await connection.BeginBinaryImportAsync(
            "COPY tool_call_samples (at, tool, duration_ms, failed, instance) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < ToolSamples; i++)
            {
                await samples.StartRowAsync();
                await samples.WriteAsync(now.AddMilliseconds(-random.Next(15 * 60 * 1000)), NpgsqlDbType.TimestampTz);
                await samples.WriteAsync(Tools[i % Tools.Length]);
                await samples.WriteAsync(1 + random.NextDouble() * random.NextDouble() * 40);
                await samples.WriteAsync(random.Next(100) == 0);
                await samples.WriteAsync("bench");
            }
            await samples.CompleteAsync();
        }

        await using (var totals = new NpgsqlCommand(
            """
            INSERT INTO analytics_totals (name, value) SELECT * FROM unnest(@names, @values)
            ON CONFLICT (name) DO UPDATE SET value = analytics_totals.value + excluded.value
            """, connection))
        {
            totals.Parameters.AddWithValue("names", new[] { "sessions", "checkpoints", "checkpoint_bytes", "workflows_completed", "workflows_failed", "workflow_milliseconds", "session_milliseconds" });
            totals.Parameters.AddWithValue("values", new[] { sessionCount, checkpoints, checkpointBytes, completed, failed, workflowMs, sessionMs });
            await totals.ExecuteNonQueryAsync();
        }
        await using (var analyze = new NpgsqlCommand("VACUUM ANALYZE", connection))
        {
            analyze.CommandTimeout = 600;
            await analyze.ExecuteNonQueryAsync();
        }
        return $"{sessionCount:N0} sessions, {messageCount:N0} messages, {checkpoints:N0} checkpoints, {completed + failed:N0} workflows, " +
            $"{WorkerTasks:N0} worker tasks, {ToolSamples:N0} tool-call samples, {minutes.Count:N0} minute and {hours.Count:N0} hour buckets";
    }

    public static async Task<Guid> AnySessionAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT session_id FROM session_activity WHERE checkpoint_count > 2 LIMIT 1");
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, DateTimeOffset? value) =>
        value is { } at ? importer.WriteAsync(at, NpgsqlDbType.TimestampTz) : importer.WriteNullAsync();
}
