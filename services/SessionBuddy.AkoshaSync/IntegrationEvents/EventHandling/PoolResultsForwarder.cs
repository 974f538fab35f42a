using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// A shut-down pool's results go into the push queue, in the transaction that records the message in the inbox:
/// a redelivered event queues nothing twice, and an acknowledged one is in the queue.
/// </summary>
public sealed class PoolResultsForwarder(NpgsqlDataSource dataSource, PushSignal signal) : IConsumer<PoolResultsCollected>
{
    public async Task Consume(ConsumeContext<PoolResultsCollected> context)
    {
        var ct = context.CancellationToken;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var messageId = context.MessageId ?? throw new InvalidOperationException("PoolResultsCollected without a message id");
        if (await Inbox.TryAcceptAsync(connection, transaction, messageId, nameof(PoolResultsForwarder), ct))
        {
            await PushQueueStore.EnqueueResultsAsync(connection, transaction, context.Message.Results, ct);
        }
        await transaction.CommitAsync(ct);
        signal.Notify();
    }
}
