using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.Reports;

/// <summary>
/// export_analytics: a dataset in a time range as CSV or JSON, in chunks of at most <c>limit</c> rows in time
/// order. Rows are written as they are read; a larger set continues from the reply's next_cursor (keyset paging,
/// so a chunk costs the same however deep into the set it is).
/// </summary>
public sealed class AnalyticsExporter(NpgsqlDataSource dataSource)
{
    // Each dataset: its time column and key (the keyset: a uuid, or text for pool_runs), and the columns exported.
    private static readonly Dictionary<string, Dataset> Datasets = new()
    {
        ["sessions"] = new(
            """
            SELECT created_at AS t, session_id AS k, session_id, name, project, status, created_at, started_at, ended_at, deleted_at,
                   message_count, content_chars, checkpoint_count, checkpoint_bytes, last_quality, last_activity
            FROM session_activity
            WHERE created_at IS NOT NULL AND created_at >= @since AND created_at < @until AND (created_at, session_id) > (@after_t, @after_k)
            ORDER BY created_at, session_id LIMIT @limit
            """),
        ["checkpoints"] = new(
            """
            SELECT created_at AS t, checkpoint_id AS k, checkpoint_id, session_id, sequence, quality_score, size_bytes, created_at
            FROM checkpoint_activity
            WHERE created_at >= @since AND created_at < @until AND (created_at, checkpoint_id) > (@after_t, @after_k)
            ORDER BY created_at, checkpoint_id LIMIT @limit
            """),
        ["workflows"] = new(
            """
            SELECT ended_at AS t, session_id AS k, session_id, project, outcome, started_at, ended_at, duration_seconds, session_seconds
            FROM workflow_runs
            WHERE ended_at >= @since AND ended_at < @until AND (ended_at, session_id) > (@after_t, @after_k)
            ORDER BY ended_at, session_id LIMIT @limit
            """),
        ["worker_tasks"] = new(
            """
            SELECT completed_at AS t, task_id AS k, task_id, worker_type, status, duration_seconds, pool_id, session_id, completed_at
            FROM worker_task_activity
            WHERE completed_at >= @since AND completed_at < @until AND (completed_at, task_id) > (@after_t, @after_k)
            ORDER BY completed_at, task_id LIMIT @limit
            """),
        // Worker pool runs: one row per collection of a pool's results (tasks, and those not completed).
        ["pool_runs"] = new(
            """
            SELECT collected_at AS t, pool_id AS k, pool_id, tasks, failed, collected_at
            FROM pool_runs
            WHERE collected_at >= @since AND collected_at < @until AND (collected_at, pool_id) > (@after_t, @after_k)
            ORDER BY collected_at, pool_id LIMIT @limit
            """, TextKey: true),
    };

    public static IReadOnlyList<string> DatasetNames { get; } = [.. Datasets.Keys];

    public async Task<AnalyticsExport> ExportAsync(ExportAnalytics request, CancellationToken ct)
    {
        var dataset = ReportArguments.OneOf(request.Dataset, "dataset", DatasetNames);
        var format = ReportArguments.OneOf(request.Format, "format", AnalyticsExportFormats.All, AnalyticsExportFormats.Csv);
        var (since, until) = ReportArguments.TimeRange(request.Since, request.Until);
        var limit = ReportArguments.Range(request.Limit, "limit", 1, ReportArguments.MaxExportRows, "rows");
        var definition = Datasets[dataset];
        var (afterTime, afterKey) = Cursor(request.Cursor, definition.TextKey);

        await using var command = dataSource.CreateCommand(definition.Sql);
        command.Parameters.AddWithValue("since", since ?? DateTimeOffset.MinValue.ToUniversalTime());
        command.Parameters.AddWithValue("until", until ?? DateTimeOffset.MaxValue.ToUniversalTime());
        command.Parameters.AddWithValue("after_t", NpgsqlDbType.TimestampTz, afterTime);
        command.Parameters.AddWithValue("after_k", afterKey);
        command.Parameters.AddWithValue("limit", limit + 1);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = Enumerable.Range(2, reader.FieldCount - 2).Select(reader.GetName).ToList();

        var text = new StringBuilder();
        using var buffer = format == AnalyticsExportFormats.Json ? new MemoryStream() : null;
        using var json = buffer is null ? null : new Utf8JsonWriter(buffer);
        var rows = 0L;
        (DateTimeOffset Time, string Key)? last = null;
        var more = false;
        if (json is null)
        {
            text.AppendJoin(',', columns).Append('\n');
        }
        else
        {
            json.WriteStartArray();
        }
        while (await reader.ReadAsync(ct))
        {
            if (rows == limit)
            {
                more = true;
                break;
            }
            rows++;
            last = (reader.GetFieldValue<DateTimeOffset>(0), definition.TextKey ? reader.GetString(1) : reader.GetGuid(1).ToString());
            if (json is null)
            {
                text.AppendJoin(',', Enumerable.Range(2, reader.FieldCount - 2).Select(i => Csv(AnalyticsQueryCatalog.Render(reader, i)))).Append('\n');
            }
            else
            {
                json.WriteStartObject();
                for (var i = 2; i < reader.FieldCount; i++)
                {
                    WriteJsonValue(json, reader.GetName(i), reader, i);
                }
                json.WriteEndObject();
            }
        }
        string content;
        if (json is null)
        {
            content = text.ToString();
        }
        else
        {
            json.WriteEndArray();
            await json.FlushAsync(ct);
            content = Encoding.UTF8.GetString(buffer!.ToArray());
        }
        var next = more && last is { } end ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{end.Time.UtcTicks}|{end.Key}")) : null;
        return new AnalyticsExport(dataset, format, rows, content, next);
    }

    private static (DateTimeOffset Time, object Key) Cursor(string? cursor, bool textKey)
    {
        if (string.IsNullOrWhiteSpace(cursor))
        {
            return (DateTimeOffset.MinValue.ToUniversalTime(), textKey ? "" : Guid.Empty);
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('|', 2);
            return (new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero), textKey ? parts[1] : Guid.Parse(parts[1]));
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            throw RequestRejectedException.InvalidArgument("cursor", "is not a next_cursor returned by export_analytics");
        }
    }

    private static void WriteJsonValue(Utf8JsonWriter json, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            json.WriteNull(name);
            return;
        }
        switch (reader.GetValue(ordinal))
        {
            case long or int or short:
                json.WriteNumber(name, Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture));
                break;
            case double number:
                json.WriteNumber(name, number);
                break;
            default:
                json.WriteString(name, AnalyticsQueryCatalog.Render(reader, ordinal));
                break;
        }
    }

    /// <param name="TextKey">The keyset's key is text (else a uuid).</param>
    private sealed record Dataset(string Sql, bool TextKey = false);

    private static string Csv(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
}
