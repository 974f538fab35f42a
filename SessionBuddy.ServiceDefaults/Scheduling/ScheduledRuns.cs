using Npgsql;

namespace SessionBuddy.ServiceDefaults.Scheduling;

/// <summary>
/// Who runs each time slot of a scheduled job: slots are aligned to the Unix epoch, so every replica
/// computes the same ones, and the replica whose row for a slot is inserted first runs it. A replica
/// that dies in the middle of a run loses that slot's run; the next slot runs as usual.
/// </summary>
public sealed class ScheduledRuns(NpgsqlDataSource dataSource)
{
    private const string ClaimSql =
        "INSERT INTO scheduled_runs (job, slot_start, replica) VALUES (@job, @slot_start, @replica) ON CONFLICT DO NOTHING";

    // Claims are only needed while replicas may still be deciding a slot; a few hundred slots of history stay for people to read.
    private const string PruneSql = "DELETE FROM scheduled_runs WHERE job = @job AND slot_start < @before";

    private const int KeptSlots = 500;

    /// <summary>This process among the replicas, as recorded with its claims.</summary>
    public string Replica { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The start of the slot of <paramref name="interval"/> that contains <paramref name="at"/>.</summary>
    public static DateTimeOffset SlotStart(DateTimeOffset at, TimeSpan interval) =>
        DateTimeOffset.UnixEpoch.AddTicks((at - DateTimeOffset.UnixEpoch).Ticks / interval.Ticks * interval.Ticks);

    /// <returns>True when this replica is the one to run <paramref name="job"/> for the slot starting at <paramref name="slotStart"/>.</returns>
    public async Task<bool> TryClaimAsync(string job, DateTimeOffset slotStart, TimeSpan interval, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var claim = new NpgsqlBatchCommand(ClaimSql);
        claim.Parameters.AddWithValue("job", job);
        claim.Parameters.AddWithValue("slot_start", slotStart);
        claim.Parameters.AddWithValue("replica", Replica);
        var prune = new NpgsqlBatchCommand(PruneSql);
        prune.Parameters.AddWithValue("job", job);
        prune.Parameters.AddWithValue("before", slotStart - interval * KeptSlots);
        batch.BatchCommands.Add(claim);
        batch.BatchCommands.Add(prune);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return claim.RecordsAffected == 1;
    }
}
