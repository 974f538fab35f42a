using Npgsql;
using NpgsqlTypes;

namespace SessionBuddy.Memory.Optimization;

/// <summary>get_memory_health: counts, access, stale items with their decayed relevance, merges and the last run.</summary>
public sealed class MemoryHealthReader(NpgsqlDataSource dataSource, OptimizationOptions options)
{
    private const int StaleSampleSize = 20;

    private const string HealthSql =
        """
        SELECT count(*), count(r.embedding), count(a.memory_id), coalesce(sum(a.access_count), 0)::bigint,
               count(*) FILTER (WHERE coalesce(a.last_accessed_at, r.created_at) < now() - make_interval(secs => @stale_seconds))
        FROM reflections r LEFT JOIN memory_access a ON a.memory_id = r.id
        WHERE @project::text IS NULL OR r.project = @project;

        SELECT category, count(*) FROM reflections WHERE @project::text IS NULL OR project = @project
        GROUP BY category ORDER BY count(*) DESC, category;

        SELECT r.id, r.category, r.project, left(r.content, 200), coalesce(a.last_accessed_at, r.created_at) AS last_used,
               coalesce(a.access_count, 0),
               (1 + ln(1 + coalesce(a.access_count, 0)))
                 * power(0.5, extract(epoch FROM now() - coalesce(a.last_accessed_at, r.created_at)) / @half_life_seconds)
        FROM reflections r LEFT JOIN memory_access a ON a.memory_id = r.id
        WHERE (@project::text IS NULL OR r.project = @project)
          AND coalesce(a.last_accessed_at, r.created_at) < now() - make_interval(secs => @stale_seconds)
        ORDER BY last_used, r.id LIMIT @samples;

        SELECT count(*) FROM memory_merges WHERE @project::text IS NULL OR project = @project;

        SELECT id, trigger, started_at, finished_at, items_checked, duplicates_merged, stale_items
        FROM memory_optimization_runs ORDER BY finished_at DESC LIMIT 1;
        """;

    private const string RunMergesSql =
        "SELECT merged_id, survivor_id, similarity, category, project FROM memory_merges WHERE run_id = @run ORDER BY merged_at LIMIT 100";

    public async Task<MemoryHealth> ReadAsync(string? project, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(HealthSql, connection);
        command.Parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = (object?)project ?? DBNull.Value });
        command.Parameters.AddWithValue("stale_seconds", options.StaleAfterDays * 86_400);
        command.Parameters.AddWithValue("half_life_seconds", Math.Max(1, options.DecayHalfLifeDays * 86_400));
        command.Parameters.AddWithValue("samples", StaleSampleSize);

        long total, embedded, accessed, accesses, stale, merged;
        var categories = new List<NamedCount>();
        var samples = new List<StaleMemory>();
        MemoryOptimizationReport? lastRun = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (total, embedded, accessed, accesses, stale) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                categories.Add(new NamedCount(reader.GetString(0), reader.GetInt64(1)));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                samples.Add(new StaleMemory(
                    reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5), Math.Round(reader.GetDouble(6), 6)));
            }

            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            merged = reader.GetInt64(0);

            await reader.NextResultAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                lastRun = new MemoryOptimizationReport(
                    reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetInt64(4), reader.GetInt64(5), [], reader.GetInt64(6));
            }
        }

        if (lastRun is not null)
        {
            var merges = new List<MergedMemory>();
            await using var load = new NpgsqlCommand(RunMergesSql, connection);
            load.Parameters.AddWithValue("run", lastRun.RunId);
            await using var reader = await load.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                merges.Add(new MergedMemory(reader.GetGuid(0), reader.GetGuid(1), reader.GetDouble(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
            lastRun = lastRun with { Merges = merges };
        }

        return new MemoryHealth(
            project, total, embedded, categories, accessed, accesses, stale, samples, merged, lastRun,
            options.StaleAfterDays, options.SimilarityThreshold, options.Enabled ? options.Interval.TotalMinutes : 0);
    }
}
