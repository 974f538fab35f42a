using Npgsql;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.Analytics.Projections;

/// <summary>
/// Applies a batch of events in one transaction: one inbox statement takes each message id once (a repeat in
/// the batch or an id applied before counts once), then the projection's statements apply the accepted events.
/// A redelivered batch therefore changes nothing. Projections bind one row per key per statement (an upsert
/// may not touch a row twice), in key order so concurrent batches lock alike.
/// </summary>
public sealed class EventBatches(NpgsqlDataSource dataSource)
{
    private const string TallyMinutesSql =
        """
        INSERT INTO activity_minutes (kind, minute, count, points, seconds)
        SELECT @kind, b.* FROM unnest(@buckets, @counts, @points, @seconds) AS b
        ON CONFLICT (kind, minute) DO UPDATE SET count = activity_minutes.count + excluded.count,
            points = activity_minutes.points + excluded.points, seconds = activity_minutes.seconds + excluded.seconds
        """;

    private const string TallyHoursSql =
        """
        INSERT INTO activity_hours (kind, scope, hour, count, points, seconds)
        SELECT @kind, b.* FROM unnest(@scopes, @buckets, @counts, @points, @seconds) AS b
        ON CONFLICT (kind, scope, hour) DO UPDATE SET count = activity_hours.count + excluded.count,
            points = activity_hours.points + excluded.points, seconds = activity_hours.seconds + excluded.seconds
        """;

    private const string TotalsSql =
        """
        INSERT INTO analytics_totals (name, value)
        SELECT t.name, t.delta FROM unnest(@names, @deltas) AS t (name, delta)
        ON CONFLICT (name) DO UPDATE SET value = analytics_totals.value + excluded.value
        """;

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

    /// <summary>Tallies one event each at the given times (scope all).</summary>
    public static void CountPerMinute(NpgsqlBatch batch, string kind, IEnumerable<DateTimeOffset> times) =>
        Tally(batch, kind, times.Select(t => new Tallied(t, null)));

    /// <summary>
    /// Adds events to <c>activity_minutes</c> and <c>activity_hours</c> (scope all, and the event's project scope
    /// when it names one): one statement per table, one row per bucket.
    /// </summary>
    public static void Tally(NpgsqlBatch batch, string kind, IEnumerable<Tallied> events)
    {
        var list = events.ToList();
        if (list.Count == 0)
        {
            return;
        }
        var minutes = list.GroupBy(e => Minute(e.At)).OrderBy(g => g.Key).ToList();
        var perMinute = Command(batch, TallyMinutesSql);
        perMinute.Parameters.AddWithValue("kind", kind);
        perMinute.Parameters.AddWithValue("buckets", minutes.Select(m => m.Key).ToArray());
        perMinute.Parameters.AddWithValue("counts", minutes.Select(m => (long)m.Count()).ToArray());
        perMinute.Parameters.AddWithValue("points", minutes.Select(m => m.Sum(e => e.Points)).ToArray());
        perMinute.Parameters.AddWithValue("seconds", minutes.Select(m => m.Sum(e => e.Seconds)).ToArray());

        var hours = list.SelectMany(e => e.Scope is null ? [(Scope: AllScope, Event: e)] : new[] { (Scope: AllScope, Event: e), (Scope: e.Scope, Event: e) })
            .GroupBy(x => (x.Scope, Hour: Hour(x.Event.At))).OrderBy(g => g.Key.Scope, StringComparer.Ordinal).ThenBy(g => g.Key.Hour).ToList();
        var perHour = Command(batch, TallyHoursSql);
        perHour.Parameters.AddWithValue("kind", kind);
        perHour.Parameters.AddWithValue("scopes", hours.Select(h => h.Key.Scope).ToArray());
        perHour.Parameters.AddWithValue("buckets", hours.Select(h => h.Key.Hour).ToArray());
        perHour.Parameters.AddWithValue("counts", hours.Select(h => (long)h.Count()).ToArray());
        perHour.Parameters.AddWithValue("points", hours.Select(h => h.Sum(x => x.Event.Points)).ToArray());
        perHour.Parameters.AddWithValue("seconds", hours.Select(h => h.Sum(x => x.Event.Seconds)).ToArray());
    }

    public const string AllScope = "all";

    public static string? ProjectScope(string? project) => project is null ? null : "project:" + project;

    public static string WorkerTypeScope(string workerType) => "worker_type:" + workerType;

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

    public static DateTimeOffset Hour(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>
/// An event to tally: when, the scope it also counts in besides all (a project or worker type; null: none),
/// points (quality points of checkpoints, failures of worker tasks) and seconds (durations).
/// </summary>
public sealed record Tallied(DateTimeOffset At, string? Scope, long Points = 0, double Seconds = 0);

/// <summary>Names of <c>activity_minutes</c>/<c>activity_hours</c> kinds and <c>analytics_totals</c> rows.</summary>
public static class ActivityKinds
{
    public const string Sessions = "sessions";
    public const string SessionsCreated = "sessions_created";
    public const string Messages = "messages";
    public const string Checkpoints = "checkpoints";
    public const string Reflections = "reflections";
    public const string WorkerTasks = "worker_tasks";
    public const string CheckpointBytes = "checkpoint_bytes";
    public const string WorkflowsCompleted = "workflows_completed";
    public const string WorkflowsFailed = "workflows_failed";
    public const string WorkflowMilliseconds = "workflow_milliseconds";

    /// <summary>Sum of the session durations (creation to completed or failed) of the workflows that ended.</summary>
    public const string SessionMilliseconds = "session_milliseconds";
}
