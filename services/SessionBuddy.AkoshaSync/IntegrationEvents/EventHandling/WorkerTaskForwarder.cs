using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// With Akosha:ForwardWorkerTasks, every finished worker task is queued as it completes (not only at its pool's
/// shutdown); the task id is the idempotency key, so a task that also arrives with its pool is pushed once.
/// </summary>
public sealed class WorkerTaskForwarder(NpgsqlDataSource dataSource, PushSignal signal, IOptions<AkoshaOptions> options)
    : IConsumer<Batch<WorkerTaskCompleted>>
{
    public Task Consume(ConsumeContext<Batch<WorkerTaskCompleted>> context) =>
        !options.Value.ForwardWorkerTasks || !options.Value.Configured
            ? Task.CompletedTask
            : ForwardedEvents.QueueAsync(context, dataSource, signal, nameof(WorkerTaskForwarder), async (connection, transaction, events, ct) =>
            {
                await PushQueueStore.EnqueueResultsAsync(connection, transaction, events, ct);
                return events.Count;
            });
}

public sealed class WorkerTaskForwarderDefinition : EventBatchDefinition<WorkerTaskForwarder>;
