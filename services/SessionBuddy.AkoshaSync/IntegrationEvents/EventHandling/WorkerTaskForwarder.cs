using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// With Akosha:ForwardWorkerTasks, every finished worker task is queued as it completes (not only at its pool's
/// shutdown); the task id is the idempotency key, so a task that also arrives with its pool is pushed once.
/// </summary>
public sealed class WorkerTaskForwarder(NpgsqlDataSource dataSource, PushSignal signal, IOptions<AkoshaOptions> options)
    : IConsumer<Batch<WorkerTaskCompleted>>
{
    public async Task Consume(ConsumeContext<Batch<WorkerTaskCompleted>> context)
    {
        if (!options.Value.ForwardWorkerTasks || !options.Value.Configured)
        {
            return;
        }
        var ct = context.CancellationToken;
        var byId = new Dictionary<Guid, WorkerTaskCompleted>();
        foreach (var message in context.Message)
        {
            byId.TryAdd(message.MessageId ?? throw new InvalidOperationException("WorkerTaskCompleted without a message id"), message.Message);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], nameof(WorkerTaskForwarder), ct);
        await PushQueueStore.EnqueueResultsAsync(connection, transaction, [.. accepted.Select(id => byId[id])], ct);
        await transaction.CommitAsync(ct);
        signal.Notify();
    }
}

public sealed class WorkerTaskForwarderDefinition : EventBatchDefinition<WorkerTaskForwarder>;
