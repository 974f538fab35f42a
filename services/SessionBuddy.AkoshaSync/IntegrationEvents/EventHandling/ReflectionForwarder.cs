using Microsoft.Extensions.Options;
using Npgsql;
using SessionBuddy.AkoshaSync.Push;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Messaging;

namespace SessionBuddy.AkoshaSync.IntegrationEvents.EventHandling;

/// <summary>
/// With Akosha:ForwardReflections, every stored reflection (category reflection, with its text) is queued for the
/// hub in the transaction that records the messages in the inbox; the reflection id is the idempotency key.
/// Other memories (worker executions, patterns, ...) are not forwarded.
/// </summary>
public sealed class ReflectionForwarder(NpgsqlDataSource dataSource, PushSignal signal, IOptions<AkoshaOptions> options)
    : IConsumer<Batch<ReflectionAdded>>
{
    public Task Consume(ConsumeContext<Batch<ReflectionAdded>> context) =>
        !options.Value.ForwardReflections || !options.Value.Configured
            ? Task.CompletedTask
            : ForwardedEvents.QueueAsync(context, dataSource, signal, nameof(ReflectionForwarder), async (connection, transaction, events, ct) =>
            {
                var reflections = events
                    .Where(r => r.Category == MemoryCategories.Reflection && !string.IsNullOrWhiteSpace(r.Content))
                    .Select(r => new AkoshaReflection(r.ReflectionId, r.Content!, r.Tags ?? [], r.Project, r.SessionId, r.CreatedAt))
                    .ToList();
                await PushQueueStore.EnqueueReflectionsAsync(connection, transaction, reflections, ct);
                return reflections.Count;
            });
}

public sealed class ReflectionForwarderDefinition : EventBatchDefinition<ReflectionForwarder>;
