using System.Text;
using System.Text.Json;
using Npgsql;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.AkoshaSync.Push;
using Microsoft.Extensions.Options;

namespace SessionBuddy.AkoshaSync.Hub;

/// <summary>
/// The hub's results (akosha_hub_results), stored once per (system id, idempotency key). Newly stored results are
/// announced in the same transaction through the outbox (<see cref="AkoshaResultsReceived"/>), from which the Memory
/// service makes them searchable; a redelivered batch stores nothing and announces nothing.
/// </summary>
public sealed class HubStore(NpgsqlDataSource dataSource, Outbox outbox, IOptions<AkoshaOptions> options)
{
    private const string InsertSql =
        """
        INSERT INTO akosha_hub_results (id, system_id, idempotency_key, pool_id, worker_type, status, payload)
        SELECT r.id, @system_id, r.key, r.pool_id, r.worker_type, r.status, r.payload
        FROM unnest(@ids, @keys, @pool_ids, @worker_types, @statuses, @payloads::jsonb[]) AS r(id, key, pool_id, worker_type, status, payload)
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
            command.Parameters.Add(new NpgsqlParameter("pool_ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text)
            {
                Value = valid.Select(v => v.Item.PoolId ?? v.Item.Result.PoolId).ToArray(),
            });
            command.Parameters.AddWithValue("worker_types", valid.Select(v => v.Item.Result.WorkerType).ToArray());
            command.Parameters.AddWithValue("statuses", valid.Select(v => v.Item.Result.Status).ToArray());
            command.Parameters.AddWithValue("payloads", valid.Select(v => v.Payload).ToArray());
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    stored.Add(reader.GetString(0));
                }
            }
            var received = valid.Where(v => stored.Contains(v.Item.IdempotencyKey))
                .Select(v => new AkoshaReceivedResult(v.Id, v.Item.IdempotencyKey, v.Item.PoolId ?? v.Item.Result.PoolId, v.Item.Result))
                .ToList();
            if (received.Count > 0)
            {
                await outbox.EnqueueAsync(connection, transaction, new AkoshaResultsReceived(systemId, received, DateTimeOffset.UtcNow), ct);
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

    /// <summary>Why one item cannot be stored (null: it can), naming the field.</summary>
    private string? Refusal(PushItem item, out string? payload)
    {
        payload = null;
        if (item.IdempotencyKey.Length is 0 or > 200)
        {
            return "idempotency_key: required, at most 200 characters";
        }
        if (item.Kind != HubWire.WorkerResult)
        {
            return $"kind: '{item.Kind}' is not accepted; this hub stores {HubWire.WorkerResult} items";
        }
        if (item.Result is not { } result || result.TaskId == Guid.Empty || string.IsNullOrWhiteSpace(result.WorkerType)
            || string.IsNullOrWhiteSpace(result.Status) || result.PromptOrCommand is null)
        {
            return "result: a worker result with task_id, worker_type, status and prompt_or_command is required";
        }
        payload = JsonSerializer.Serialize(result, HubWire.Json);
        var bytes = Encoding.UTF8.GetByteCount(payload);
        var limit = options.Value.HubMaxResultBytes;
        return bytes > limit ? $"result: {bytes} bytes; this hub stores results of at most {limit} bytes (Akosha:HubMaxResultBytes)" : null;
    }

    /// <summary>Items of akosha_push_results: one per result, keyed by task id like pushed ones.</summary>
    public static IReadOnlyList<PushItem> ItemsFor(string poolId, IReadOnlyList<WorkerTaskCompleted> results) =>
        [.. results.Select(r => new PushItem(r is null ? "" : HubWire.KeyFor(r), HubWire.WorkerResult, poolId, r!))];
}
