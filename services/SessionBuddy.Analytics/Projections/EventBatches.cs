using Npgsql;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Analytics.Projections;

/// <summary>
/// Applies a batch of events in one transaction: one inbox statement takes each message id once (a repeat in
/// the batch or an id applied before counts once), then the projection's statements apply the accepted events.
/// A redelivered batch therefore changes nothing. Projections bind one row per key per statement (an upsert
/// may not touch a row twice), in key order so concurrent batches lock alike.
/// </summary>
public sealed class EventBatches(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<TEvent>> ApplyAsync<TEvent>(
        IReadOnlyList<(Guid MessageId, TEvent Event)> events, string consumer,
        Func<IReadOnlyList<TEvent>, NpgsqlBatch, Task> apply, CancellationToken ct)
    {
        var byId = new Dictionary<Guid, TEvent>();
        foreach (var (messageId, evt) in events)
        {
            byId.TryAdd(messageId, evt);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = (await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], consumer, ct)).Select(id => byId[id]).ToList();
        if (accepted.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            await apply(accepted, batch);
            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
        }
        await transaction.CommitAsync(ct);
        return accepted;
    }

    public static NpgsqlBatchCommand Command(NpgsqlBatch batch, string sql)
    {
        var command = new NpgsqlBatchCommand(sql);
        batch.BatchCommands.Add(command);
        return command;
    }

    /// <summary>Adds counts per minute of one kind to <c>activity_minutes</c>.</summary>
    public static void CountPerMinute(NpgsqlBatch batch, string kind, IEnumerable<DateTimeOffset> times) =>
        AddPerMinute(batch, kind, times.Select(t => (t, 1L)));

    /// <summary>Adds amounts per minute of one kind to <c>activity_minutes</c> (e.g. the quality points of checkpoints).</summary>
    public static void AddPerMinute(NpgsqlBatch batch, string kind, IEnumerable<(DateTimeOffset At, long Amount)> amounts)
    {
        var minutes = amounts.GroupBy(a => Minute(a.At)).OrderBy(g => g.Key).ToList();
        if (minutes.Count == 0)
        {
            return;
        }
        var command = Command(batch, ActivityMinutesSql);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("minutes", minutes.Select(m => m.Key).ToArray());
        command.Parameters.AddWithValue("counts", minutes.Select(m => m.Sum(a => a.Amount)).ToArray());
    }

    /// <summary>Adds to named all-time totals (<c>analytics_totals</c>).</summary>
    public static void AddToTotals(NpgsqlBatch batch, params (string Name, long Delta)[] deltas)
    {
        var rows = deltas.Where(d => d.Delta != 0).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        var command = Command(batch, TotalsSql);
        command.Parameters.AddWithValue("names", rows.Select(r => r.Name).ToArray());
        command.Parameters.AddWithValue("deltas", rows.Select(r => r.Delta).ToArray());
    }

    public static DateTimeOffset Minute(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, TimeSpan.Zero);
    }

    private const string ActivityMinutesSql =
        """
        INSERT INTO activity_minutes (kind, minute, count)
        SELECT @kind, m.minute, m.count FROM unnest(@minutes, @counts) AS m (minute, count)
        ON CONFLICT (kind, minute) DO UPDATE SET count = activity_minutes.count + excluded.count
        """;

    private const string TotalsSql =
        """
        INSERT INTO analytics_totals (name, value)
        SELECT t.name, t.delta FROM unnest(@names, @deltas) AS t (name, delta)
        ON CONFLICT (name) DO UPDATE SET value = analytics_totals.value + excluded.value
        """;
}

/// <summary>Names of <c>activity_minutes</c> kinds and <c>analytics_totals</c> rows.</summary>
public static class ActivityKinds
{
    public const string Sessions = "sessions";
    public const string SessionsCreated = "sessions_created";
    public const string Messages = "messages";
    public const string Checkpoints = "checkpoints";
    public const string Reflections = "reflections";
    public const string QualityPoints = "quality_points";
    public const string CheckpointBytes = "checkpoint_bytes";
    public const string WorkflowsCompleted = "workflows_completed";
    public const string WorkflowsFailed = "workflows_failed";
    public const string WorkflowMilliseconds = "workflow_milliseconds";
}
