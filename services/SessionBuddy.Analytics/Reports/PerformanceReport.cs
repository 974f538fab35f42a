using Npgsql;

namespace SessionBuddy.Analytics.Reports;

/// <summary>
/// get_performance_metrics: tool-call latency as the gateways measured it (every replica reports its own calls)
/// and CPU / memory of the processes that reported in the last <see cref="FreshUsage"/>.
/// </summary>
public sealed class PerformanceReport(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan FreshUsage = TimeSpan.FromMinutes(2);

    private const string Sql =
        """
        SELECT count(*), count(*) FILTER (WHERE failed), coalesce(avg(duration_ms), 0),
               coalesce(percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ms), ARRAY[0, 0, 0]::double precision[]),
               coalesce(max(duration_ms), 0)
        FROM tool_call_samples WHERE at >= @since;
        SELECT service, instance, cpu_percent, memory_mb, sampled_at FROM process_usage
        WHERE sampled_at >= @fresh ORDER BY service, instance;
        """;

    public async Task<PerformanceMetrics> ReadAsync(int minutes, CancellationToken ct)
    {
        minutes = ReportArguments.Range(minutes, "minutes", 1, ReportArguments.MaxMinutes, "minutes");
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.AddWithValue("since", DateTimeOffset.UtcNow.AddMinutes(-minutes));
        command.Parameters.AddWithValue("fresh", DateTimeOffset.UtcNow - FreshUsage);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var percentiles = reader.GetFieldValue<double[]>(3);
        var latency = new ResponseTimePercentiles(reader.GetInt64(0), reader.GetInt64(1), ActivityReports.Round(percentiles[0]),
            ActivityReports.Round(percentiles[1]), ActivityReports.Round(percentiles[2]), ActivityReports.Round(reader.GetDouble(4)));
        var mean = ActivityReports.Round(reader.GetDouble(2));
        await reader.NextResultAsync(ct);
        var processes = new List<ProcessUsage>();
        while (await reader.ReadAsync(ct))
        {
            processes.Add(new ProcessUsage(reader.GetString(0), reader.GetString(1), reader.GetDouble(2), reader.GetDouble(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return new PerformanceMetrics(minutes, ActivityReports.Round(processes.Sum(p => p.CpuUsage)),
            ActivityReports.Round(processes.Sum(p => p.MemoryUsage)), mean, latency, processes);
    }
}
