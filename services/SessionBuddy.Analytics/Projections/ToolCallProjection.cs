using Npgsql;

namespace SessionBuddy.Analytics.Projections;

/// <summary>
/// Tool-call samples reported by the gateways (<c>tool_call_samples</c>) and the newest CPU and memory sample of
/// every process (<c>process_usage</c>): the gateways' come with their tool-call timings, the services' as
/// ProcessUsageReported.
/// Samples older than <see cref="Retention"/> are pruned as new ones arrive.
/// </summary>
public sealed class ToolCallProjection(EventBatches batches, NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    private const string SamplesSql =
        """
        INSERT INTO tool_call_samples (at, tool, duration_ms, failed, instance)
        SELECT * FROM unnest(@ats, @tools, @durations, @failed, @instances)
        """;

    private const string UsageSql =
        """
        INSERT INTO process_usage (service, instance, cpu_percent, memory_mb, sampled_at)
        SELECT * FROM unnest(@services, @instances, @cpus, @memories, @ats)
        ON CONFLICT (service, instance) DO UPDATE SET cpu_percent = excluded.cpu_percent, memory_mb = excluded.memory_mb,
            sampled_at = excluded.sampled_at
        WHERE process_usage.sampled_at <= excluded.sampled_at
        """;

    private const string PruneSql = "DELETE FROM tool_call_samples WHERE at < @cutoff";

    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, ToolCallsTimed Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(ToolCallsTimed), (accepted, batch) =>
        {
            var samples = accepted.SelectMany(e => e.Samples.Select(s => (e.Instance, Sample: s))).ToList();
            if (samples.Count > 0)
            {
                var insert = EventBatches.Command(batch, SamplesSql);
                insert.Parameters.AddWithValue("ats", samples.Select(s => s.Sample.At).ToArray());
                insert.Parameters.AddWithValue("tools", samples.Select(s => s.Sample.Tool).ToArray());
                insert.Parameters.AddWithValue("durations", samples.Select(s => s.Sample.DurationMs).ToArray());
                insert.Parameters.AddWithValue("failed", samples.Select(s => s.Sample.Failed).ToArray());
                insert.Parameters.AddWithValue("instances", samples.Select(s => s.Instance).ToArray());
            }
            ProcessUsageRows(batch, [.. accepted.Select(e => e.Process)]);
            EventBatches.Command(batch, PruneSql).Parameters.AddWithValue("cutoff", DateTimeOffset.UtcNow - Retention);
            return Task.CompletedTask;
        }, ct);

    /// <summary>Service processes' usage samples: kept if newer than the stored one of the same process.</summary>
    public async Task RecordUsageAsync(IReadOnlyList<ProcessUsageSample> samples, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        ProcessUsageRows(batch, samples);
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static void ProcessUsageRows(NpgsqlBatch batch, IReadOnlyList<ProcessUsageSample> samples)
    {
        var latest = samples.GroupBy(s => (s.Service, s.Instance)).Select(g => g.MaxBy(s => s.SampledAt)!)
            .OrderBy(s => s.Service, StringComparer.Ordinal).ThenBy(s => s.Instance, StringComparer.Ordinal).ToList();
        var command = EventBatches.Command(batch, UsageSql);
        command.Parameters.AddWithValue("services", latest.Select(s => s.Service).ToArray());
        command.Parameters.AddWithValue("instances", latest.Select(s => s.Instance).ToArray());
        command.Parameters.AddWithValue("cpus", latest.Select(s => s.CpuPercent).ToArray());
        command.Parameters.AddWithValue("memories", latest.Select(s => s.MemoryMb).ToArray());
        command.Parameters.AddWithValue("ats", latest.Select(s => s.SampledAt).ToArray());
    }
}
