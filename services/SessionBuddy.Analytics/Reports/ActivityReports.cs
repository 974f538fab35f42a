using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Analytics.Metrics;
using SessionBuddy.Analytics.Projections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Reports;

/// <summary>
/// The activity, workflow and session reports, read from Analytics' own projections. Windowed counts come from
/// per-minute buckets and all-time counts from <c>analytics_totals</c>, so no report scans all sessions.
/// </summary>
public sealed class ActivityReports(NpgsqlDataSource dataSource)
{
    private const string ActiveFilter = "deleted_at IS NULL AND status IN ('starting', 'running')";

    // Tallies in a window: whole hours from activity_hours, the leading partial hour's minutes from activity_minutes
    // (scope all only; a project's window starts at the whole hour).
    private const string WindowTalliesSql =
        """
        SELECT kind, coalesce(sum(count), 0)::bigint, coalesce(sum(points), 0)::bigint, coalesce(sum(seconds), 0) FROM (
            SELECT kind, count, points, seconds FROM activity_hours WHERE kind = ANY(@kinds) AND scope = @scope AND hour >= @whole_hours_from
            UNION ALL
            SELECT kind, count, points, seconds FROM activity_minutes
            WHERE @scope = 'all' AND kind = ANY(@kinds) AND minute >= @since_minute AND minute < @whole_hours_from
        ) w GROUP BY kind
        """;

    private const string SummarySql =
        $"""
        SELECT count(*) FROM session_activity WHERE {ActiveFilter};
        SELECT session_id, name, project, status, message_count, checkpoint_count, last_activity
        FROM session_activity WHERE deleted_at IS NULL AND last_activity >= @since
        ORDER BY last_activity DESC NULLS LAST LIMIT @recent
        """;

    private const string TotalsSql =
        """
        SELECT coalesce(max(value) FILTER (WHERE name = 'sessions'), 0),
               coalesce(max(value) FILTER (WHERE name = 'checkpoints'), 0),
               coalesce(max(value) FILTER (WHERE name = 'checkpoint_bytes'), 0),
               coalesce(max(value) FILTER (WHERE name = 'workflows_completed'), 0),
               coalesce(max(value) FILTER (WHERE name = 'workflows_failed'), 0),
               coalesce(max(value) FILTER (WHERE name = 'workflow_milliseconds'), 0),
               coalesce(max(value) FILTER (WHERE name = 'session_milliseconds'), 0)
        FROM analytics_totals
        """;

    private const string QualityByDaySql =
        """
        SELECT date_trunc('day', hour)::date, sum(count)::bigint, sum(points)::double precision / sum(count)
        FROM activity_hours WHERE kind = 'checkpoints' AND scope = @scope AND hour >= @from AND count > 0
        GROUP BY 1 ORDER BY 1
        """;

    private const string SessionColumns =
        """
        session_id, name, project, status, message_count, checkpoint_count,
        CASE WHEN checkpoint_count > 0 THEN checkpoint_bytes::double precision / checkpoint_count ELSE 0 END,
        last_quality, extract(epoch FROM ended_at - coalesce(started_at, created_at))::double precision, created_at, last_activity
        """;

    // One statement per sort key, each served by its own partial index; the key is chosen from this table, never spliced from input.
    private static readonly Dictionary<string, string> SessionsBySortKey = new()
    {
        [SessionAnalyticsSortKeys.LastActivity] = $"SELECT {SessionColumns} FROM session_activity WHERE deleted_at IS NULL ORDER BY last_activity DESC NULLS LAST LIMIT @limit",
        [SessionAnalyticsSortKeys.Messages] = $"SELECT {SessionColumns} FROM session_activity WHERE deleted_at IS NULL ORDER BY message_count DESC LIMIT @limit",
        [SessionAnalyticsSortKeys.Checkpoints] = $"SELECT {SessionColumns} FROM session_activity WHERE deleted_at IS NULL ORDER BY checkpoint_count DESC LIMIT @limit",
        [SessionAnalyticsSortKeys.Created] = $"SELECT {SessionColumns} FROM session_activity WHERE deleted_at IS NULL ORDER BY created_at DESC NULLS LAST LIMIT @limit",
        [SessionAnalyticsSortKeys.Quality] = $"SELECT {SessionColumns} FROM session_activity WHERE deleted_at IS NULL ORDER BY last_quality DESC NULLS LAST LIMIT @limit",
    };

    private const string SessionSql =
        """
        SELECT session_id, name, project, status, deleted_at IS NOT NULL, created_at, started_at, ended_at,
               extract(epoch FROM ended_at - coalesce(started_at, created_at))::double precision,
               message_count, content_chars, checkpoint_count,
               CASE WHEN checkpoint_count > 0 THEN checkpoint_bytes::double precision / checkpoint_count ELSE 0 END, last_activity
        FROM session_activity WHERE session_id = @id;
        SELECT quality_score FROM checkpoint_activity WHERE session_id = @id ORDER BY sequence;
        SELECT count(*), count(*) FILTER (WHERE status <> 'completed') FROM worker_task_activity WHERE session_id = @id;
        """;

    private const int RecentSessions = 10;

    public async Task<ActivitySummary> SummaryAsync(double hours, CancellationToken ct)
    {
        hours = ReportArguments.Hours(hours);
        var since = DateTimeOffset.UtcNow.AddHours(-hours);
        var totals = await TotalsAsync(ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var tallies = await WindowTalliesAsync(connection, null, since,
            [ActivityKinds.SessionsCreated, ActivityKinds.Messages, ActivityKinds.Reflections, ActivityKinds.Checkpoints], ct);
        await using var command = new NpgsqlCommand(SummarySql, connection);
        command.Parameters.AddWithValue("since", since);
        command.Parameters.AddWithValue("recent", RecentSessions);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var active = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var recent = new List<RecentSessionActivity>();
        while (await reader.ReadAsync(ct))
        {
            recent.Add(new RecentSessionActivity(reader.GetGuid(0), NullableString(reader, 1), NullableString(reader, 2), reader.GetString(3),
                reader.GetInt64(4), reader.GetInt64(5), NullableTime(reader, 6)));
        }
        return new ActivitySummary(hours, since, active, totals.Sessions, tallies.Count(ActivityKinds.SessionsCreated),
            tallies.Count(ActivityKinds.Messages), tallies.Count(ActivityKinds.Reflections), tallies.Count(ActivityKinds.Checkpoints), recent);
    }

    public async Task<WorkflowMetrics> WorkflowsAsync(string? project, int daysBack, CancellationToken ct)
    {
        project = ReportArguments.Project(project);
        daysBack = ReportArguments.Range(daysBack, "days_back", 1, ReportArguments.MaxDays, "days");
        var since = DateTimeOffset.UtcNow.AddDays(-daysBack);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var tallies = await WindowTalliesAsync(connection, project, since,
            [ActivityKinds.WorkflowsCompleted, ActivityKinds.WorkflowsFailed, ActivityKinds.SessionsCreated, ActivityKinds.Checkpoints], ct);
        var (completed, failed) = (tallies.Count(ActivityKinds.WorkflowsCompleted), tallies.Count(ActivityKinds.WorkflowsFailed));
        var seconds = tallies.Seconds(ActivityKinds.WorkflowsCompleted) + tallies.Seconds(ActivityKinds.WorkflowsFailed);
        var avg = completed + failed == 0 ? 0 : seconds / (completed + failed);
        var checkpoints = tallies.Count(ActivityKinds.Checkpoints);
        var quality = checkpoints == 0 ? 0 : (double)tallies.Points(ActivityKinds.Checkpoints) / checkpoints;
        var days = await QualityByDayAsync(connection, project, since, ct);
        return new WorkflowMetrics(project, daysBack, completed, failed, Round(avg), tallies.Count(ActivityKinds.SessionsCreated), Round(avg / 60),
            Round(quality), QualityTrend(days), days);
    }

    public async Task<SessionAnalytics> SessionsAsync(int limit, string? sortBy, CancellationToken ct)
    {
        limit = ReportArguments.Range(limit, "limit", 1, ReportArguments.MaxSessionRows, "sessions");
        sortBy = ReportArguments.OneOf(sortBy, "sort_by", SessionAnalyticsSortKeys.All, SessionAnalyticsSortKeys.LastActivity);
        var totals = await TotalsAsync(ct);
        await using var command = dataSource.CreateCommand(SessionsBySortKey[sortBy]);
        command.Parameters.AddWithValue("limit", limit);
        var rows = new List<SessionAnalyticsRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new SessionAnalyticsRow(reader.GetGuid(0), NullableString(reader, 1), NullableString(reader, 2), reader.GetString(3),
                reader.GetInt64(4), reader.GetInt64(5), Round(reader.GetDouble(6)), reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.IsDBNull(8) ? null : Round(reader.GetDouble(8)), NullableTime(reader, 9), NullableTime(reader, 10)));
        }
        // session_duration: creation to completed or failed, as the session_buddy.session.duration histogram records it.
        var duration = totals.Workflows == 0 ? 0 : Round(totals.SessionMilliseconds / 1000.0 / totals.Workflows);
        return new SessionAnalytics(totals.Sessions, totals.Checkpoints,
            totals.Checkpoints == 0 ? 0 : Round((double)totals.CheckpointBytes / totals.Checkpoints), duration, duration, sortBy, rows);
    }

    public async Task<SessionSummary> SummarizeAsync(Guid sessionId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(SessionSql);
        command.Parameters.AddWithValue("id", sessionId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw RequestRejectedException.NotFound("session_id", $"analytics has seen no event of session {sessionId}");
        }
        var (name, project, status, deleted) = (NullableString(reader, 1), NullableString(reader, 2), reader.GetString(3), reader.GetBoolean(4));
        var (created, started, ended) = (NullableTime(reader, 5), NullableTime(reader, 6), NullableTime(reader, 7));
        double? duration = reader.IsDBNull(8) ? null : Round(reader.GetDouble(8));
        var (messages, chars, checkpoints, avgSize, last) = (reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), Round(reader.GetDouble(12)), NullableTime(reader, 13));
        await reader.NextResultAsync(ct);
        var scores = new List<int>();
        while (await reader.ReadAsync(ct))
        {
            scores.Add(reader.GetInt32(0));
        }
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var (tasks, failedTasks) = (reader.GetInt64(0), reader.GetInt64(1));
        var trend = ScoreTrend(scores);
        var text = $"{name ?? sessionId.ToString()} ({project ?? "no project"}) is {(deleted ? "deleted" : status)}: {messages} messages, " +
            $"{checkpoints} checkpoints" + (scores.Count > 0 ? $", quality {scores[^1]}/100 ({trend})" : "") +
            (duration is { } d ? $", ran {TimeSpan.FromSeconds(d):g}" : "") + (tasks > 0 ? $", {tasks} worker tasks ({failedTasks} not completed)" : "") + ".";
        return new SessionSummary(sessionId, name, project, status, deleted, created, started, ended, duration, messages, chars, checkpoints,
            avgSize, scores, trend, tasks, failedTasks, last, text);
    }

    /// <summary>The numbers behind the session_buddy.* counters and the active-sessions gauge.</summary>
    public async Task<AnalyticsSnapshot> SnapshotAsync(double cpuPercent, double memoryMb, double responseTimeMs, CancellationToken ct)
    {
        var totals = await TotalsAsync(ct);
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM session_activity WHERE {ActiveFilter}");
        var active = (long)(await command.ExecuteScalarAsync(ct))!;
        return new AnalyticsSnapshot(totals.Sessions, active, totals.WorkflowsCompleted, totals.WorkflowsFailed, totals.Checkpoints,
            cpuPercent, memoryMb, responseTimeMs);
    }

    /// <summary>improving / declining when the later half of the days averages 5 points above / below the earlier half.</summary>
    public static string QualityTrend(IReadOnlyList<DailyQuality> days)
    {
        if (days.Count < 2)
        {
            return "insufficient_data";
        }
        var half = days.Count / 2;
        return Trend(Weighted(days.Take(half)), Weighted(days.Skip(days.Count - half)));

        static double Weighted(IEnumerable<DailyQuality> part)
        {
            var list = part.ToList();
            return list.Sum(d => d.AvgQualityScore * d.Checkpoints) / Math.Max(1, list.Sum(d => d.Checkpoints));
        }
    }

    public static string ScoreTrend(IReadOnlyList<int> scores) =>
        scores.Count < 2 ? "insufficient_data" : Trend(scores.Take(scores.Count / 2).Average(), scores.Skip(scores.Count - scores.Count / 2).Average());

    private static string Trend(double earlier, double later) =>
        later - earlier >= 5 ? "improving" : earlier - later >= 5 ? "declining" : "stable";

    internal static async Task<List<DailyQuality>> QualityByDayAsync(NpgsqlConnection connection, string? project, DateTimeOffset since, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(QualityByDaySql, connection);
        command.Parameters.AddWithValue("scope", Scope(project));
        command.Parameters.AddWithValue("from", EventBatches.Hour(since));
        var days = new List<DailyQuality>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            days.Add(new DailyQuality(DateOnly.FromDateTime(reader.GetDateTime(0)), reader.GetInt64(1), Round(reader.GetDouble(2))));
        }
        return days;
    }

    /// <summary>Counts, quality points and seconds of <paramref name="kinds"/> since <paramref name="since"/>, for all or one project.</summary>
    internal static async Task<WindowTallies> WindowTalliesAsync(
        NpgsqlConnection connection, string? project, DateTimeOffset since, string[] kinds, CancellationToken ct)
    {
        var hour = EventBatches.Hour(since);
        await using var command = new NpgsqlCommand(WindowTalliesSql, connection);
        command.Parameters.AddWithValue("kinds", kinds);
        command.Parameters.AddWithValue("scope", Scope(project));
        command.Parameters.AddWithValue("whole_hours_from", project is null && hour < since ? hour.AddHours(1) : hour);
        command.Parameters.AddWithValue("since_minute", EventBatches.Minute(since));
        var tallies = new WindowTallies();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            tallies.Add(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3));
        }
        return tallies;
    }

    private static string Scope(string? project) => EventBatches.ProjectScope(project) ?? EventBatches.AllScope;

    private async Task<Totals> TotalsAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(TotalsSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Totals(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5),
            reader.GetInt64(6));
    }

    internal static double Round(double value) => Math.Round(value, 3);

    internal static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    internal sealed class WindowTallies
    {
        private readonly Dictionary<string, (long Count, long Points, double Seconds)> _byKind = [];

        public void Add(string kind, long count, long points, double seconds) => _byKind[kind] = (count, points, seconds);

        public long Count(string kind) => _byKind.GetValueOrDefault(kind).Count;

        public long Points(string kind) => _byKind.GetValueOrDefault(kind).Points;

        public double Seconds(string kind) => _byKind.GetValueOrDefault(kind).Seconds;
    }

    private sealed record Totals(
        long Sessions, long Checkpoints, long CheckpointBytes, long WorkflowsCompleted, long WorkflowsFailed, long WorkflowMilliseconds,
        long SessionMilliseconds)
    {
        public long Workflows => WorkflowsCompleted + WorkflowsFailed;
    }
}
