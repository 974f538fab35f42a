using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Analytics.Projections;

namespace SessionBuddy.Analytics.Reports;

/// <summary>
/// get_insights: fixed rules over the last <c>days</c> (quality trend, workflow failure rate, failure hot spots
/// by worker type, active sessions without checkpoints, tools slow in the last 15 minutes). Each rule that fires adds one insight.
/// </summary>
public sealed class InsightRules(NpgsqlDataSource dataSource)
{
    public const int MinTasksForHotSpot = 3;
    public const double HotSpotFailureRate = 0.25;
    public const double WorkflowFailureRate = 0.2;
    public const double SlowToolP95Ms = 2000;

    private const string Sql =
        """
        SELECT substr(scope, 13), sum(count)::bigint, sum(points)::bigint
        FROM activity_hours WHERE kind = 'worker_tasks' AND scope LIKE 'worker_type:%' AND hour >= date_trunc('hour', @since)
        GROUP BY scope HAVING sum(count) >= @min_tasks ORDER BY 3 DESC, 1;
        SELECT count(*) FROM session_activity
        WHERE deleted_at IS NULL AND status IN ('starting', 'running') AND checkpoint_count = 0
          AND created_at >= @since AND created_at < now() - interval '1 hour' AND (@project::text IS NULL OR project = @project);
        WITH window_samples AS MATERIALIZED (
            SELECT tool, duration_ms FROM tool_call_samples WHERE at >= greatest(@since, now() - interval '15 minutes')
        ), candidates AS (
            -- A p95 above the threshold needs about 5% of the calls above it: only those tools are sorted.
            SELECT tool FROM window_samples GROUP BY tool
            HAVING 20 * (count(*) FILTER (WHERE duration_ms > @slow_ms) + 1) > count(*)
        )
        SELECT tool, calls, p95 FROM (
            SELECT tool, count(*) AS calls, percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
            FROM window_samples WHERE tool IN (SELECT tool FROM candidates) GROUP BY tool
        ) t WHERE p95 > @slow_ms ORDER BY p95 DESC LIMIT 5;
        """;

    public async Task<AnalyticsInsights> EvaluateAsync(string? project, int days, CancellationToken ct)
    {
        project = ReportArguments.Project(project);
        days = ReportArguments.Range(days, "days", 1, ReportArguments.MaxDays, "days");
        var since = DateTimeOffset.UtcNow.AddDays(-days);
        var insights = new List<Insight>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        var quality = await ActivityReports.QualityByDayAsync(connection, project, since, ct);
        switch (ActivityReports.QualityTrend(quality))
        {
            case "declining":
                insights.Add(new Insight("quality_trend", "warning", "Checkpoint quality is declining",
                    $"Mean quality fell from {quality[0].AvgQualityScore} to {quality[^1].AvgQualityScore} over {quality.Count} days.", quality[^1].AvgQualityScore));
                break;
            case "improving":
                insights.Add(new Insight("quality_trend", "info", "Checkpoint quality is improving",
                    $"Mean quality rose from {quality[0].AvgQualityScore} to {quality[^1].AvgQualityScore} over {quality.Count} days.", quality[^1].AvgQualityScore));
                break;
        }

        var workflows = await ActivityReports.WindowTalliesAsync(connection, project, since, [ActivityKinds.WorkflowsCompleted, ActivityKinds.WorkflowsFailed], ct);
        var (completed, failed) = (workflows.Count(ActivityKinds.WorkflowsCompleted), workflows.Count(ActivityKinds.WorkflowsFailed));
        if (completed + failed > 0 && (double)failed / (completed + failed) >= WorkflowFailureRate)
        {
            var rate = (double)failed / (completed + failed);
            insights.Add(new Insight("workflow_failures", rate >= 0.5 ? "critical" : "warning", "Many workflows fail",
                $"{failed} of {completed + failed} workflows (sessions from start to end) failed in the last {days} days ({rate:P0}).", Math.Round(rate, 3)));
        }

        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("since", since);
        command.Parameters.AddWithValue("project", NpgsqlDbType.Text, (object?)project ?? DBNull.Value);
        command.Parameters.AddWithValue("min_tasks", (long)MinTasksForHotSpot);
        command.Parameters.AddWithValue("slow_ms", SlowToolP95Ms);
        await using var reader = await command.ExecuteReaderAsync(ct);

        while (await reader.ReadAsync(ct))
        {
            var (type, tasks, failedTasks) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
            var rate = (double)failedTasks / tasks;
            if (rate >= HotSpotFailureRate)
            {
                insights.Add(new Insight("worker_failure_hot_spot", rate >= 0.5 ? "critical" : "warning", $"{type} workers fail often",
                    $"{failedTasks} of {tasks} {type} tasks did not complete in the last {days} days ({rate:P0}).", Math.Round(rate, 3)));
            }
        }

        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var withoutCheckpoints = reader.GetInt64(0);
        if (withoutCheckpoints > 0)
        {
            insights.Add(new Insight("sessions_without_checkpoints", "info", "Active sessions without checkpoints",
                $"{withoutCheckpoints} active sessions older than an hour have no checkpoint; a checkpoint records quality and lets them resume.", withoutCheckpoints));
        }

        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            insights.Add(new Insight("slow_tool", "warning", $"{reader.GetString(0)} is slow",
                $"p95 {reader.GetDouble(2):0} ms over {reader.GetInt64(1)} calls in the last 15 minutes.", Math.Round(reader.GetDouble(2), 3)));
        }
        return new AnalyticsInsights(project, days, insights);
    }
}
