using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SessionBuddy.ServiceDefaults.Data;

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
        await using (var select = new NpgsqlCommand(
            """
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

        foreach (var (id, typeName, payload) in batch)
        {
            var type = Outbox.ResolveType(typeName);
            if (type is null)
            {
                await MarkAsync(connection, transaction, id, $"unknown message type {typeName}", cancellationToken);
                continue;
            }

            var message = JsonSerializer.Deserialize(payload, type, Outbox.SerializerOptions)!;
            await bus.Publish(message, type, context => context.MessageId = id, cancellationToken);
            await MarkAsync(connection, transaction, id, null, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    private static async Task MarkAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string? error, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE outbox_messages SET dispatched_at = now(), attempts = attempts + 1, last_error = @error WHERE id = @id",
            connection, transaction);
        update.Parameters.AddWithValue("id", id);
        update.Parameters.AddWithValue("error", (object?)error ?? DBNull.Value);
        await update.ExecuteNonQueryAsync(cancellationToken);
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
