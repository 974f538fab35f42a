using System.Text;
using System.Text.Json;
using Npgsql;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging.Data;
using Microsoft.Extensions.Options;

namespace SessionBuddy.AkoshaSync.Hub;

/// <summary>
/// The hub's items (akosha_hub_results: worker results, reflections, session summaries, by kind), stored once per
/// (system id, idempotency key). Newly stored items are
/// announced in the same transaction through the outbox (<see cref="AkoshaResultsReceived"/>), from which the Memory
/// service makes them searchable; a redelivered batch stores nothing and announces nothing.
/// </summary>
public sealed class HubStore(NpgsqlDataSource dataSource, Outbox outbox, IOptions<AkoshaOptions> options)
{
    private const string InsertSql =
        """
        INSERT INTO akosha_hub_results (id, system_id, idempotency_key, kind, pool_id, worker_type, status, payload)
        SELECT r.id, @system_id, r.key, r.kind, r.pool_id, r.worker_type, r.status, r.payload
        FROM unnest(@ids, @keys, @kinds, @pool_ids, @worker_types, @statuses, @payloads::jsonb[])
             AS r(id, key, kind, pool_id, worker_type, status, payload)
        ORDER BY r.key
        ON CONFLICT (system_id, idempotency_key) DO NOTHING
        RETURNING idempotency_key
        """;

    public async Task<IReadOnlyList<PushItemOutcome>> StoreAsync(string systemId, IReadOnlyList<PushItem> items, CancellationToken ct)
    {
        var outcomes = new Dictionary<string, PushItemOutcome>();
        var valid = new List<(Guid Id, PushItem Item, string Payload)>();
        // Items come off the wire: a missing key is null despite the record's type.
        items = [.. items.Select(i => i with { IdempotencyKey = i.IdempotencyKey ?? "" })];
        foreach (var item in items)
        {
            if (Refusal(item, out var payload) is { } error)
            {
                outcomes[item.IdempotencyKey] = new PushItemOutcome(item.IdempotencyKey, HubWire.Outcomes.Rejected, error);
            }
            else if (!outcomes.ContainsKey(item.IdempotencyKey) && valid.All(v => v.Item.IdempotencyKey != item.IdempotencyKey))
            {
                valid.Add((Guid.CreateVersion7(), item, payload!));
            }
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var stored = new HashSet<string>();
        if (valid.Count > 0)
        {
            await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
            command.Parameters.AddWithValue("system_id", systemId);
            command.Parameters.AddWithValue("ids", valid.Select(v => v.Id).ToArray());
            command.Parameters.AddWithValue("keys", valid.Select(v => v.Item.IdempotencyKey).ToArray());
            command.Parameters.AddWithValue("kinds", valid.Select(v => v.Item.Kind).ToArray());
            command.Parameters.Add(NullableText("pool_ids", valid.Select(v => v.Item.Kind == HubWire.WorkerResult ? v.Item.PoolId ?? v.Item.Result!.PoolId : null)));
            command.Parameters.Add(NullableText("worker_types", valid.Select(v => v.Item.Kind == HubWire.WorkerResult ? v.Item.Result!.WorkerType : null)));
            command.Parameters.Add(NullableText("statuses", valid.Select(v => v.Item.Kind == HubWire.WorkerResult ? v.Item.Result!.Status : null)));
            command.Parameters.AddWithValue("payloads", valid.Select(v => v.Payload).ToArray());
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    stored.Add(reader.GetString(0));
                }
            }
            var fresh = valid.Where(v => stored.Contains(v.Item.IdempotencyKey)).ToList();
            if (fresh.Count > 0)
            {
                var received = new AkoshaResultsReceived(systemId,
                    [.. fresh.Where(v => v.Item.Kind == HubWire.WorkerResult)
                        .Select(v => new AkoshaReceivedResult(v.Id, v.Item.IdempotencyKey, v.Item.PoolId ?? v.Item.Result!.PoolId, v.Item.Result!))],
                    DateTimeOffset.UtcNow,
                    [.. fresh.Where(v => v.Item.Kind == HubWire.Reflection)
                        .Select(v => new AkoshaReceivedReflection(v.Id, v.Item.IdempotencyKey, v.Item.Reflection!))],
                    [.. fresh.Where(v => v.Item.Kind == HubWire.SessionSummary)
                        .Select(v => new AkoshaReceivedSessionSummary(v.Id, v.Item.IdempotencyKey, v.Item.Session!))]);
                await outbox.EnqueueAsync(connection, transaction, received, ct);
            }
        }
        await transaction.CommitAsync(ct);
        if (stored.Count > 0)
        {
            outbox.NotifyCommitted();
        }
        foreach (var (_, item, _) in valid)
        {
            outcomes[item.IdempotencyKey] = new PushItemOutcome(item.IdempotencyKey,
                stored.Contains(item.IdempotencyKey) ? HubWire.Outcomes.Stored : HubWire.Outcomes.Duplicate);
        }
        return [.. items.Select(i => outcomes[i.IdempotencyKey]).DistinctBy(o => o.IdempotencyKey)];
    }

    private static NpgsqlParameter NullableText(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = values.ToArray() };

    /// <summary>Why one item cannot be stored (null: it can), naming the field. Only the part of its kind is stored.</summary>
    private string? Refusal(PushItem item, out string? payload)
    {
        payload = null;
        if (item.IdempotencyKey.Length is 0 or > 200)
        {
            return "idempotency_key: required, at most 200 characters";
        }
        string field;
        switch (item.Kind)
        {
            case HubWire.WorkerResult:
                if (item.Result is not { } result || result.TaskId == Guid.Empty || string.IsNullOrWhiteSpace(result.WorkerType)
                    || string.IsNullOrWhiteSpace(result.Status) || result.PromptOrCommand is null)
                {
                    return "result: a worker result with task_id, worker_type, status and prompt_or_command is required";
                }
                (field, payload) = ("result", JsonSerializer.Serialize(result, HubWire.Json));
                break;
            case HubWire.Reflection:
                if (item.Reflection is not { } reflection || reflection.ReflectionId == Guid.Empty || string.IsNullOrWhiteSpace(reflection.Content))
                {
                    return "reflection: a reflection with reflection_id and content is required";
                }
                (field, payload) = ("reflection", JsonSerializer.Serialize(reflection, HubWire.Json));
                break;
            case HubWire.SessionSummary:
                if (item.Session is not { } session || session.SessionId == Guid.Empty || string.IsNullOrWhiteSpace(session.Summary))
                {
                    return "session: a session summary with session_id and summary is required";
                }
                (field, payload) = ("session", JsonSerializer.Serialize(session, HubWire.Json));
                break;
            default:
                return $"kind: '{item.Kind}' is not accepted; this hub stores {string.Join(", ", AkoshaItemKinds.All)} items";
        }
        var bytes = Encoding.UTF8.GetByteCount(payload);
        var limit = options.Value.HubMaxResultBytes;
        if (bytes > limit)
        {
            payload = null;
            return $"{field}: {bytes} bytes; this hub stores items of at most {limit} bytes (Akosha:HubMaxResultBytes)";
        }
        return null;
    }

    /// <summary>Items of akosha_push_results: one per result, keyed by task id like pushed ones.</summary>
    public static IReadOnlyList<PushItem> ItemsFor(string poolId, IReadOnlyList<WorkerTaskCompleted> results) =>
        [.. results.Select(r => new PushItem(r is null ? "" : HubWire.KeyFor(r), HubWire.WorkerResult, poolId, r!))];
}
