using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.ServiceDefaults.Data;
using SessionBuddy.ServiceDefaults.Messaging;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// With Akosha:ForwardReflections, every stored reflection (category reflection, with its text) is queued for the
/// hub in the transaction that records the messages in the inbox; the reflection id is the idempotency key.
/// Other memories (worker executions, patterns, ...) are not forwarded.
/// </summary>
public sealed class ReflectionForwarder(NpgsqlDataSource dataSource, PushSignal signal, IOptions<AkoshaOptions> options)
    : IConsumer<Batch<ReflectionAdded>>
{
    public async Task Consume(ConsumeContext<Batch<ReflectionAdded>> context)
    {
        if (!options.Value.ForwardReflections || !options.Value.Configured)
        {
            return;
        }
        var ct = context.CancellationToken;
        var byId = new Dictionary<Guid, ReflectionAdded>();
        foreach (var message in context.Message)
        {
            byId.TryAdd(message.MessageId ?? throw new InvalidOperationException("ReflectionAdded without a message id"), message.Message);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var accepted = await Inbox.TryAcceptManyAsync(connection, transaction, [.. byId.Keys], nameof(ReflectionForwarder), ct);
        var reflections = accepted.Select(id => byId[id])
            .Where(r => r.Category == MemoryCategories.Reflection && !string.IsNullOrWhiteSpace(r.Content))
            .Select(r => new AkoshaReflection(r.ReflectionId, r.Content!, r.Tags ?? [], r.Project, r.SessionId, r.CreatedAt))
            .ToList();
        await PushQueueStore.EnqueueReflectionsAsync(connection, transaction, reflections, ct);
        await transaction.CommitAsync(ct);
        if (reflections.Count > 0)
        {
            signal.Notify();
        }
    }
}

public sealed class ReflectionForwarderDefinition : EventBatchDefinition<ReflectionForwarder>;
