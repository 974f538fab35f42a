using System.Globalization;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Reports;

/// <summary>
/// query_analytics: predefined, parameterised, read-only queries over the projections. Callers choose a query by
/// name and pass named parameters; no SQL comes from outside. <c>list</c> returns the catalog.
/// </summary>
public sealed class AnalyticsQueryCatalog(NpgsqlDataSource dataSource)
{
    public const string ListQuery = "list";

    private static readonly QueryDefinition[] Queries =
    [
        new("sessions_by_project", "Sessions, messages, checkpoints and mean last quality per project, for sessions created in the last `days`.",
            [QueryParameter.Int("days", 30, 1, ReportArguments.MaxDays)],
            """
            SELECT coalesce(project, '(none)') AS project, count(*) AS sessions, sum(message_count) AS messages,
                   sum(checkpoint_count) AS checkpoints, round(avg(last_quality), 1) AS avg_quality
            FROM session_activity WHERE deleted_at IS NULL AND created_at >= now() - make_interval(days => @days)
            GROUP BY 1 ORDER BY sessions DESC, 1 LIMIT 1000
            """),
        new("daily_activity", "Per UTC day of the last `days`: sessions created, messages, checkpoints, reflections stored.",
            [QueryParameter.Int("days", 7, 1, ReportArguments.MaxDays)],
            """
            SELECT date_trunc('day', hour)::date AS day,
                   sum(count) FILTER (WHERE kind = 'sessions_created') AS sessions_created,
                   sum(count) FILTER (WHERE kind = 'messages') AS messages,
                   sum(count) FILTER (WHERE kind = 'checkpoints') AS checkpoints,
                   sum(count) FILTER (WHERE kind = 'reflections') AS reflections
            FROM activity_hours WHERE kind IN ('sessions_created', 'messages', 'checkpoints', 'reflections') AND scope = 'all'
              AND hour >= date_trunc('day', now() - make_interval(days => @days - 1))
            GROUP BY 1 ORDER BY 1
            """),
        new("top_sessions_by_messages", "The `limit` sessions with the most messages, optionally of one `project`.",
            [QueryParameter.Int("limit", 10, 1, ReportArguments.MaxQueryRows), QueryParameter.Text("project")],
            """
            SELECT session_id, name, project, status, message_count AS messages, checkpoint_count AS checkpoints, last_activity
            FROM session_activity WHERE deleted_at IS NULL AND (@project::text IS NULL OR project = @project)
            ORDER BY message_count DESC LIMIT @limit
            """),
        new("worker_failures_by_type", "Per worker type over the last `days`: tasks, tasks not completed, failure rate, mean duration (s).",
            [QueryParameter.Int("days", 30, 1, ReportArguments.MaxDays)],
            """
            SELECT substr(scope, 13) AS worker_type, sum(count) AS tasks, sum(points) AS failed,
                   round(sum(points)::numeric / sum(count), 3) AS failure_rate, round((sum(seconds) / sum(count))::numeric, 3) AS avg_duration_seconds
            FROM activity_hours WHERE kind = 'worker_tasks' AND scope LIKE 'worker_type:%'
              AND hour >= date_trunc('hour', now() - make_interval(days => @days))
            GROUP BY scope ORDER BY failure_rate DESC, tasks DESC
            """),
        new("quality_by_day", "Per UTC day of the last `days`: checkpoints and their mean quality score, optionally of one `project`.",
            [QueryParameter.Int("days", 30, 1, ReportArguments.MaxDays), QueryParameter.Text("project")],
            """
            SELECT date_trunc('day', hour)::date AS day, sum(count) AS checkpoints, round(sum(points)::numeric / sum(count), 1) AS avg_quality
            FROM activity_hours
            WHERE kind = 'checkpoints' AND scope = CASE WHEN @project::text IS NULL THEN 'all' ELSE 'project:' || @project END
              AND hour >= date_trunc('hour', now() - make_interval(days => @days)) AND count > 0
            GROUP BY 1 ORDER BY 1
            """),
        new("sessions_without_checkpoints", "Active sessions older than `older_than_hours` with no checkpoint yet (at most `limit`).",
            [QueryParameter.Int("older_than_hours", 1, 0, 24 * ReportArguments.MaxDays), QueryParameter.Int("limit", 50, 1, ReportArguments.MaxQueryRows)],
            """
            SELECT session_id, name, project, status, created_at, message_count AS messages
            FROM session_activity
            WHERE deleted_at IS NULL AND status IN ('starting', 'running') AND checkpoint_count = 0
              AND created_at < now() - make_interval(hours => @older_than_hours)
            ORDER BY created_at LIMIT @limit
            """),
        new("workflow_outcomes", "Per UTC day of the last `days` (today included): workflows (sessions from start to end) completed, failed, mean duration (s).",
            [QueryParameter.Int("days", 30, 1, ReportArguments.MaxDays)],
            """
            SELECT date_trunc('day', hour)::date AS day,
                   sum(count) FILTER (WHERE kind = 'workflows_completed') AS completed,
                   sum(count) FILTER (WHERE kind = 'workflows_failed') AS failed,
                   round((sum(seconds) / nullif(sum(count), 0))::numeric, 3) AS avg_duration_seconds
            FROM activity_hours WHERE kind IN ('workflows_completed', 'workflows_failed') AND scope = 'all'
              AND hour >= date_trunc('day', now() - make_interval(days => @days - 1))
            GROUP BY 1 ORDER BY 1
            """),
        new("slow_tools", "Per tool over the last `minutes`: calls, failures, p50 and p95 latency (ms), slowest first (at most `limit`).",
            [QueryParameter.Int("minutes", 60, 1, ReportArguments.MaxMinutes), QueryParameter.Int("limit", 20, 1, ReportArguments.MaxQueryRows)],
            """
            SELECT tool, count(*) AS calls, count(*) FILTER (WHERE failed) AS failed,
                   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::numeric, 3) AS p50_ms,
                   round(percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::numeric, 3) AS p95_ms
            FROM tool_call_samples WHERE at >= now() - make_interval(mins => @minutes)
            GROUP BY tool ORDER BY p95_ms DESC LIMIT @limit
            """),
    ];

    public static IReadOnlyList<AnalyticsQueryInfo> Catalog { get; } =
        [.. Queries.Select(q => new AnalyticsQueryInfo(q.Name, q.Description, [.. q.Parameters.Select(p => p.Describe())]))];

    public async Task<AnalyticsQueryResult> RunAsync(string? queryName, JsonElement? parameters, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(queryName))
        {
            throw RequestRejectedException.InvalidArgument("query_name", $"is required: one of {ListQuery}, {string.Join(", ", Queries.Select(q => q.Name))}");
        }
        if (queryName == ListQuery)
        {
            return new AnalyticsQueryResult(ListQuery, ["name", "description", "parameters"],
                [.. Catalog.Select(q => (IReadOnlyList<string?>)[q.Name, q.Description, string.Join(", ", q.Parameters)])], Catalog);
        }
        var query = Queries.FirstOrDefault(q => q.Name == queryName)
            ?? throw RequestRejectedException.InvalidArgument("query_name",
                $"unknown query '{queryName}'; the queries are {string.Join(", ", Queries.Select(q => q.Name))} (query_name=list describes them)");
        var values = Arguments(query, parameters);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Read-only by construction, and by the transaction too.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
        {
            await readOnly.ExecuteNonQueryAsync(ct);
        }
        await using var command = new NpgsqlCommand(query.Sql, connection, transaction);
        foreach (var parameter in query.Parameters)
        {
            command.Parameters.Add(parameter.Bind(values.TryGetValue(parameter.Name, out var value) ? value : null));
        }
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var rows = new List<IReadOnlyList<string?>>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => Render(reader, i))]);
        }
        return new AnalyticsQueryResult(query.Name, columns, rows, Catalog);
    }

    /// <summary>A value as text: invariant numbers, ISO 8601 times, null as null.</summary>
    internal static string? Render(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }
        return reader.GetValue(ordinal) switch
        {
            DateTime time => time.Kind == DateTimeKind.Unspecified && time.TimeOfDay == TimeSpan.Zero
                ? time.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                : new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture),
            DateOnly day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            var value => value.ToString(),
        };
    }

    private static Dictionary<string, JsonElement> Arguments(QueryDefinition query, JsonElement? parameters)
    {
        if (parameters is not { } given || given.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return [];
        }
        if (given.ValueKind != JsonValueKind.Object)
        {
            throw RequestRejectedException.InvalidArgument("parameters", "must be a JSON object of named parameters");
        }
        var values = new Dictionary<string, JsonElement>();
        foreach (var property in given.EnumerateObject())
        {
            if (!query.Parameters.Any(p => p.Name == property.Name))
            {
                throw RequestRejectedException.InvalidArgument("parameters",
                    $"'{property.Name}' is not a parameter of {query.Name}; it takes {string.Join(", ", query.Parameters.Select(p => p.Name))}");
            }
            values[property.Name] = property.Value;
        }
        return values;
    }

    private sealed record QueryDefinition(string Name, string Description, IReadOnlyList<QueryParameter> Parameters, string Sql);

    private sealed record QueryParameter(string Name, bool IsInt, int Default, int Min, int Max)
    {
        public static QueryParameter Int(string name, int fallback, int min, int max) => new(name, true, fallback, min, max);

        public static QueryParameter Text(string name) => new(name, false, 0, 0, 0);

        public string Describe() => IsInt ? $"{Name} (integer {Min}..{Max}, default {Default})" : $"{Name} (text, optional)";

        public NpgsqlParameter Bind(JsonElement? value)
        {
            if (!IsInt)
            {
                var text = value is { ValueKind: JsonValueKind.String } s ? ReportArguments.Project(s.GetString())
                    : value is null || value.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null
                    : throw RequestRejectedException.InvalidArgument($"parameters.{Name}", "must be a string");
                return new NpgsqlParameter(Name, NpgsqlDbType.Text) { Value = (object?)text ?? DBNull.Value };
            }
            var number = value switch
            {
                null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => Default,
                { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var whole) => whole,
                { ValueKind: JsonValueKind.String } t when long.TryParse(t.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
                _ => throw RequestRejectedException.InvalidArgument($"parameters.{Name}", $"must be an integer between {Min} and {Max}"),
            };
            return new NpgsqlParameter(Name, NpgsqlDbType.Integer) { Value = ReportArguments.Range(number, $"parameters.{Name}", Min, Max, Name) };
        }
    }
}
