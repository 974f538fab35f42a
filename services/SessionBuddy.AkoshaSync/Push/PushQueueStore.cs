using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.AkoshaSync.Hub;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.AkoshaSync.Push;

/// <summary>A queued item as the pusher sends it.</summary>
public sealed record QueuedItem(Guid Id, string IdempotencyKey, string Kind, string? PoolId, string Payload, int Attempts);

/// <summary>A refused item: its error and when it may be tried again.</summary>
public sealed record FailedItem(Guid Id, string Error, TimeSpan RetryAfter);

/// <summary>
/// The push queue (akosha_push_items), its dead letters and the pushers' last outcomes. Items are claimed with
/// FOR UPDATE SKIP LOCKED inside the transaction that records the hub's answer, so a pusher killed mid-request
/// leaves its batch queued (the hub answers the re-send with duplicate, not a second copy), and replicas share work.
/// </summary>
public sealed class PushQueueStore(NpgsqlDataSource dataSource)
{
    private const string EnqueueSql =
        """
        INSERT INTO akosha_push_items (id, idempotency_key, kind, pool_id, payload)
        SELECT i.id, i.key, @kind, i.pool_id, i.payload FROM unnest(@ids, @keys, @pool_ids, @payloads::jsonb[]) AS i(id, key, pool_id, payload)
        ORDER BY i.key
        ON CONFLICT (idempotency_key) DO NOTHING
        """;

    private const string ClaimSql =
        """
        SELECT id, idempotency_key, kind, pool_id, payload::text, attempts FROM akosha_push_items
        WHERE sent_at IS NULL AND next_attempt_at <= clock_timestamp()
        ORDER BY next_attempt_at, id
        LIMIT @limit
        FOR UPDATE SKIP LOCKED
        """;

    private const string MarkSentSql =
        "UPDATE akosha_push_items SET sent_at = clock_timestamp(), last_error = NULL WHERE id = ANY(@ids)";

    private const string MarkFailedSql =
        """
        UPDATE akosha_push_items p SET attempts = p.attempts + 1, last_error = f.error,
            next_attempt_at = clock_timestamp() + f.retry_after
        FROM unnest(@ids, @errors, @retry_after) AS f(id, error, retry_after) WHERE p.id = f.id
        """;

    private const string DeadLetterSql =
        """
        WITH moved AS (
            DELETE FROM akosha_push_items WHERE id = ANY(@ids) AND attempts >= @max_attempts
            RETURNING id, idempotency_key, kind, pool_id, payload, created_at, attempts, last_error)
        INSERT INTO akosha_dead_letters (id, idempotency_key, kind, pool_id, payload, created_at, attempts, last_error)
        SELECT id, idempotency_key, kind, pool_id, payload, created_at, attempts, coalesce(last_error, 'refused') FROM moved
        ON CONFLICT (idempotency_key) DO NOTHING
        """;

    private const string MakeDueSql =
        "UPDATE akosha_push_items SET next_attempt_at = clock_timestamp() WHERE sent_at IS NULL AND next_attempt_at > clock_timestamp()";

    private const string CountsSql =
        """
        SELECT count(*) FILTER (WHERE sent_at IS NULL),
               count(*) FILTER (WHERE sent_at IS NOT NULL),
               count(*) FILTER (WHERE sent_at IS NULL AND attempts > 0),
               (SELECT count(*) FROM akosha_dead_letters),
               (SELECT count(*) FROM akosha_hub_results)
        FROM akosha_push_items
        """;

    // The worst circuit among pushers heard from recently; last success and error over all of them.
    private const string PushersSql =
        """
        SELECT (SELECT circuit_state FROM akosha_pushers WHERE updated_at > clock_timestamp() - interval '5 minutes'
                ORDER BY CASE circuit_state WHEN 'open' THEN 0 WHEN 'isolated' THEN 1 WHEN 'half_open' THEN 2 ELSE 3 END, updated_at DESC LIMIT 1),
               (SELECT max(last_success_at) FROM akosha_pushers),
               e.last_error, e.last_error_at
        FROM (SELECT last_error, last_error_at FROM akosha_pushers WHERE last_error_at IS NOT NULL ORDER BY last_error_at DESC LIMIT 1) e
        RIGHT JOIN (SELECT 1) one ON true
        """;

    private const string RecordPusherSql =
        """
        INSERT INTO akosha_pushers AS p (pusher, circuit_state, last_success_at, last_error, last_error_at)
        VALUES (@pusher, @circuit_state, @success_at, @error, CASE WHEN @error::text IS NULL THEN NULL ELSE clock_timestamp() END)
        ON CONFLICT (pusher) DO UPDATE SET circuit_state = excluded.circuit_state,
            last_success_at = coalesce(excluded.last_success_at, p.last_success_at),
            last_error = coalesce(excluded.last_error, p.last_error),
            last_error_at = coalesce(excluded.last_error_at, p.last_error_at),
            updated_at = clock_timestamp()
        """;

    private const string DeadLettersSql =
        """
        SELECT id, idempotency_key, kind, pool_id, payload::text, attempts, last_error, created_at, dead_lettered_at,
               count(*) OVER ()
        FROM akosha_dead_letters ORDER BY dead_lettered_at DESC, id LIMIT @limit
        """;

    private const string ReplaySql =
        """
        WITH moved AS (
            DELETE FROM akosha_dead_letters WHERE @all OR id = ANY(@ids)
            RETURNING id, idempotency_key, kind, pool_id, payload, created_at)
        INSERT INTO akosha_push_items (id, idempotency_key, kind, pool_id, payload, created_at)
        SELECT id, idempotency_key, kind, pool_id, payload, created_at FROM moved
        ON CONFLICT DO NOTHING
        RETURNING id
        """;

    /// <summary>Queues worker results in the caller's transaction; a key queued before (sent or not) is skipped.</summary>
    public static Task EnqueueResultsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<WorkerTaskCompleted> results, CancellationToken ct) =>
        EnqueueAsync(connection, transaction, HubWire.WorkerResult,
            [.. results.Select(r => (HubWire.KeyFor(r), (string?)r.PoolId, JsonSerializer.Serialize(r, HubWire.Json)))], ct);

    /// <summary>Queues reflections (Akosha:ForwardReflections) in the caller's transaction, keyed by reflection id.</summary>
    public static Task EnqueueReflectionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AkoshaReflection> reflections, CancellationToken ct) =>
        EnqueueAsync(connection, transaction, HubWire.Reflection,
            [.. reflections.Select(r => (HubWire.KeyFor(r), (string?)null, JsonSerializer.Serialize(r, HubWire.Json)))], ct);

    /// <summary>Queues session summaries (Akosha:ForwardSessionSummaries) in the caller's transaction, keyed by session id.</summary>
    public static Task EnqueueSessionSummariesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<AkoshaSessionSummary> sessions, CancellationToken ct) =>
        EnqueueAsync(connection, transaction, HubWire.SessionSummary,
            [.. sessions.Select(s => (HubWire.KeyFor(s), (string?)null, JsonSerializer.Serialize(s, HubWire.Json)))], ct);

    private static async Task EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string kind,
        IReadOnlyList<(string Key, string? PoolId, string Payload)> items, CancellationToken ct)
    {
        var unique = items.DistinctBy(i => i.Key).ToList();
        if (unique.Count == 0)
        {
            return;
        }
        await using var command = new NpgsqlCommand(EnqueueSql, connection, transaction);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("ids", unique.Select(_ => Guid.CreateVersion7()).ToArray());
        command.Parameters.AddWithValue("keys", unique.Select(i => i.Key).ToArray());
        command.Parameters.Add(new NpgsqlParameter("pool_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = unique.Select(i => i.PoolId).ToArray() });
        command.Parameters.AddWithValue("payloads", unique.Select(i => i.Payload).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The hub's wire item for a queued one.</summary>
    public static PushItem ToPushItem(QueuedItem item) => item.Kind switch
    {
        HubWire.Reflection => new PushItem(item.IdempotencyKey, item.Kind, item.PoolId, null,
            Reflection: JsonSerializer.Deserialize<AkoshaReflection>(item.Payload, HubWire.Json)),
        HubWire.SessionSummary => new PushItem(item.IdempotencyKey, item.Kind, item.PoolId, null,
            Session: JsonSerializer.Deserialize<AkoshaSessionSummary>(item.Payload, HubWire.Json)),
        _ => new PushItem(item.IdempotencyKey, item.Kind, item.PoolId, JsonSerializer.Deserialize<WorkerTaskCompleted>(item.Payload, HubWire.Json)),
    };

    /// <summary>Claims up to <paramref name="limit"/> due items; they stay locked until <paramref name="transaction"/> ends.</summary>
    public static async Task<IReadOnlyList<QueuedItem>> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int limit, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(ClaimSql, connection, transaction);
        command.Parameters.AddWithValue("limit", limit);
        var items = new List<QueuedItem>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            items.Add(new QueuedItem(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetInt32(5)));
        }
        return items;
    }

    /// <summary>Records the hub's answer: sent items, refused ones (retried later or dead-lettered after <paramref name="maxAttempts"/>).</summary>
    public static async Task RecordOutcomeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<Guid> sent, IReadOnlyList<FailedItem> failed, int maxAttempts, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var markSent = new NpgsqlBatchCommand(MarkSentSql);
        markSent.Parameters.AddWithValue("ids", sent.ToArray());
        batch.BatchCommands.Add(markSent);
        var markFailed = new NpgsqlBatchCommand(MarkFailedSql);
        markFailed.Parameters.AddWithValue("ids", failed.Select(f => f.Id).ToArray());
        markFailed.Parameters.AddWithValue("errors", failed.Select(f => f.Error).ToArray());
        markFailed.Parameters.AddWithValue("retry_after", failed.Select(f => f.RetryAfter).ToArray());
        batch.BatchCommands.Add(markFailed);
        var deadLetter = new NpgsqlBatchCommand(DeadLetterSql);
        deadLetter.Parameters.AddWithValue("ids", failed.Select(f => f.Id).ToArray());
        deadLetter.Parameters.AddWithValue("max_attempts", maxAttempts);
        batch.BatchCommands.Add(deadLetter);
        await batch.ExecuteNonQueryAsync(ct);
    }

    public async Task RecordPusherAsync(string pusher, string circuitState, DateTimeOffset? successAt, string? error, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(RecordPusherSql);
        command.Parameters.AddWithValue("pusher", pusher);
        command.Parameters.AddWithValue("circuit_state", circuitState);
        command.Parameters.Add(new NpgsqlParameter("success_at", NpgsqlDbType.TimestampTz) { Value = successAt is { } s ? s.ToUniversalTime() : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)error ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Every waiting item becomes due now (sync_to_akosha); returns how many items wait.</summary>
    public async Task<long> MakeDueAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(MakeDueSql);
        await command.ExecuteNonQueryAsync(ct);
        var (pending, _, _, _, _) = await CountsAsync(ct);
        return pending;
    }

    public async Task<AkoshaSyncStatus> StatusAsync(AkoshaOptions options, CancellationToken ct)
    {
        var (pending, sent, failed, dead, hub) = await CountsAsync(ct);
        await using var command = dataSource.CreateCommand(PushersSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new AkoshaSyncStatus(
            options.Configured, options.Configured ? options.Endpoint : null, options.SystemId, pending, sent, failed, dead,
            reader.IsDBNull(0) ? AkoshaCircuitStates.Closed : reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            options.HubEnabled, hub);
    }

    public async Task<AkoshaDeadLetters> DeadLettersAsync(int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DeadLettersSql);
        command.Parameters.AddWithValue("limit", limit);
        var letters = new List<AkoshaDeadLetter>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            letters.Add(new AkoshaDeadLetter(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), Summarize(reader.GetString(2), reader.GetString(4)),
                reader.GetInt32(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(8)));
            total = reader.GetInt64(9);
        }
        return new AkoshaDeadLetters(letters, total);
    }

    /// <summary>Moves dead letters (all, or those with <paramref name="ids"/>) back into the queue, due now, with fresh attempts.</summary>
    public async Task<AkoshaReplayed> ReplayAsync(IReadOnlyList<Guid>? ids, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ReplaySql);
        command.Parameters.AddWithValue("all", ids is not { Count: > 0 });
        command.Parameters.AddWithValue("ids", (ids ?? []).ToArray());
        var replayed = new HashSet<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                replayed.Add(reader.GetGuid(0));
            }
        }
        return new AkoshaReplayed(replayed.Count, [.. (ids ?? []).Distinct().Where(id => !replayed.Contains(id))]);
    }

    private async Task<(long Pending, long Sent, long Failed, long Dead, long Hub)> CountsAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(CountsSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    private static string Summarize(string kind, string payload)
    {
        static string Cut(string text) => text.Length <= 80 ? text : text[..80] + "…";
        switch (kind)
        {
            case HubWire.WorkerResult:
                var result = JsonSerializer.Deserialize<WorkerTaskCompleted>(payload, HubWire.Json)!;
                return $"{result.WorkerType} task {result.TaskId} {result.Status}: {Cut(result.PromptOrCommand)}";
            case HubWire.Reflection:
                var reflection = JsonSerializer.Deserialize<AkoshaReflection>(payload, HubWire.Json)!;
                return $"reflection {reflection.ReflectionId}: {Cut(reflection.Content)}";
            case HubWire.SessionSummary:
                var session = JsonSerializer.Deserialize<AkoshaSessionSummary>(payload, HubWire.Json)!;
                return $"session {session.SessionId} summary: {Cut(session.Summary)}";
            default:
                return kind;
        }
    }
}
