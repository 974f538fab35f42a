using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// What every batch forwarder does: accept the batch's messages through the inbox and queue what the new ones carry for
/// the hub, in one transaction (a redelivered event queues nothing twice; an acknowledged one is in the queue), then
/// wake the pusher if anything was queued.
/// </summary>
internal static class ForwardedEvents
{
    /// <param name="enqueue">Queues what the accepted events carry (in the transaction) and says how many items it queued.</param>
    public static async Task QueueAsync<TEvent>(
        ConsumeContext<Batch<TEvent>> context, NpgsqlDataSource dataSource, PushSignal signal, string consumer,
        Func<NpgsqlConnection, NpgsqlTransaction, IReadOnlyList<TEvent>, CancellationToken, Task<int>> enqueue)
        where TEvent : class
    {
        var ct = context.CancellationToken;
        var byId = new Dictionary<Guid, TEvent>();
        foreach (var message in context.Message)
        {
            byId.TryAdd(message.MessageId ?? throw new InvalidOperationException($"{typeof(TEvent).Name} without a message id"), message.Message);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], consumer, ct);
        var queued = await enqueue(connection, transaction, [.. accepted.Select(id => byId[id])], ct);
        await transaction.CommitAsync(ct);
        if (queued > 0)
        {
            signal.Notify();
        }
    }
}
