using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Npgsql;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Memories;
using SessionBuddy.ServiceDefaults.Data;

namespace SessionBuddy.Memory.IntegrationEvents.EventHandling;

/// <summary>
/// On an Akosha hub, results other systems pushed become memories of category <c>akosha_result</c>: the same text as
/// local worker history, tagged with the worker type (<c>worker_type:...</c>) and the system (<c>system:...</c>),
/// metadata carrying system_id, so akosha_search_workers and search_all_systems find them by hybrid search. The hub's
/// row id is the operation id, so a redelivered event stores nothing twice.
/// </summary>
public sealed class AkoshaResultMemoryHandler(NpgsqlDataSource dataSource, MemorySearch memories, MemoryOptions options)
    : IConsumer<AkoshaResultsReceived>
{
    public async Task Consume(ConsumeContext<AkoshaResultsReceived> context)
    {
        var ct = context.CancellationToken;
        var message = context.Message;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var messageId = context.MessageId ?? throw new InvalidOperationException("AkoshaResultsReceived without a message id");
        if (await Inbox.TryAcceptAsync(connection, transaction, messageId, nameof(AkoshaResultMemoryHandler), ct))
        {
            await memories.StoreManyAsync([.. message.Results.Select(r =>
            {
                var memory = WorkerExecutionMemoryHandler.ToMemory(r.Id, r.Result, options.MaxContentLength);
                var metadata = JsonNode.Parse(memory.Metadata!.Value.GetRawText())!.AsObject();
                metadata["system_id"] = message.SystemId;
                metadata["idempotency_key"] = r.IdempotencyKey;
                metadata["pool_id"] = r.PoolId;
                metadata["received_at"] = message.ReceivedAt.ToUniversalTime();
                return memory with
                {
                    Category = MemoryCategories.AkoshaResult,
                    Tags = [AkoshaResultTags.WorkerType(r.Result.WorkerType), AkoshaResultTags.System(message.SystemId), r.Result.Status.Trim().ToLowerInvariant()],
                    SessionId = null,
                    Metadata = JsonSerializer.SerializeToElement(metadata),
                };
            })], ct);
        }
        await transaction.CommitAsync(ct);
    }
}

public static class AkoshaResultTags
{
    public static string WorkerType(string workerType) => "worker_type:" + workerType.Trim();

    public static string System(string systemId) => "system:" + systemId.Trim();
}
