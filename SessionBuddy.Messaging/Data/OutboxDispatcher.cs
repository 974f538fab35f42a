using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SessionBuddy.Messaging.Data;

/// <summary>
/// Publishes committed outbox rows to the bus, oldest first, with the row id as MessageId, then
/// marks them dispatched. Rows are claimed with FOR UPDATE SKIP LOCKED so replicas share the work.
/// A crash between publish and mark republishes the row: consumers de-duplicate by MessageId.
/// </summary>
public sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource,
    OutboxSignal signal,
    IBus bus,
    IHostApplicationLifetime lifetime,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 100;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Start after every hosted service (migrations, the bus) has started.
        await WhenStartedAsync(stoppingToken);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchBatchAsync(stoppingToken) == BatchSize)
                {
                }
                await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogDispatchFailed(ex);
                await Task.Delay(PollInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var batch = new List<(Guid Id, string Type, string Payload)>();
        // The marks commit without waiting for the WAL flush: a mark lost in a database crash only makes its
        // row go out again, which consumers drop by message id. So the dispatcher adds no disk flush of its
        // own, and the writes whose commits clients wait for do not queue behind it.
        await using (var select = new NpgsqlCommand(
            """
            SET LOCAL synchronous_commit = off;
            SELECT id, message_type, payload::text FROM outbox_messages
            WHERE dispatched_at IS NULL
            ORDER BY created_at
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.AddWithValue("limit", BatchSize);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                batch.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        // Publishes are issued in row order and confirmed together, so a batch costs about one broker
        // round trip instead of one per event; rows are marked in one statement. A row whose publish
        // failed stays pending and is sent again on the next pass (consumers are idempotent by message id).
        var publishes = new List<(Guid Id, Task Sent)>(batch.Count);
        var unknown = new List<(Guid Id, string Error)>();
        foreach (var (id, typeName, payload) in batch)
        {
            if (Outbox.ResolveType(typeName) is not { } type)
            {
                unknown.Add((id, $"unknown message type {typeName}"));
                continue;
            }
            var message = JsonSerializer.Deserialize(payload, type, Outbox.SerializerOptions)!;
            publishes.Add((id, bus.Publish(message, type, context => context.MessageId = id, cancellationToken)));
        }

        Exception? failure = null;
        try
        {
            await Task.WhenAll(publishes.Select(p => p.Sent));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            failure = ex;
        }

        var sent = publishes.Where(p => p.Sent.IsCompletedSuccessfully).Select(p => p.Id).ToArray();
        await using (var mark = new NpgsqlCommand(
            """
            UPDATE outbox_messages SET dispatched_at = now(), attempts = attempts + 1 WHERE id = ANY(@sent);
            UPDATE outbox_messages o SET dispatched_at = now(), attempts = attempts + 1, last_error = u.error
            FROM unnest(@unknown_ids, @unknown_errors) AS u(id, error) WHERE o.id = u.id;
            """, connection, transaction))
        {
            mark.Parameters.AddWithValue("sent", sent);
            mark.Parameters.AddWithValue("unknown_ids", unknown.Select(u => u.Id).ToArray());
            mark.Parameters.AddWithValue("unknown_errors", unknown.Select(u => u.Error).ToArray());
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (failure is not null)
        {
            throw new InvalidOperationException($"{publishes.Count - sent.Length} of {publishes.Count} outbox messages were not published", failure);
        }
        return batch.Count;
    }

    private Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(stoppingToken);
    }

    [LoggerMessage(LogLevel.Error, "Outbox dispatch failed; retrying")]
    private partial void LogDispatchFailed(Exception exception);
}
