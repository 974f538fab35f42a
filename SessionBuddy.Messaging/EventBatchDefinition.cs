using MassTransit;

namespace SessionBuddy.Messaging;

/// <summary>
/// How an integration-event consumer of <c>Batch&lt;T&gt;</c> receives its batches: up to <see cref="MaxBatch"/>
/// events, collected for at most <see cref="TimeLimit"/> (the consumer's projection trails the event by that much
/// at most), two batches at a time. Derive one definition per batch consumer; MassTransit finds it with the consumer.
/// </summary>
public abstract class EventBatchDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    public const int MaxBatch = 32;

    public static readonly TimeSpan TimeLimit = TimeSpan.FromMilliseconds(50);

    protected EventBatchDefinition() => Endpoint(e => e.PrefetchCount = 2 * MaxBatch);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.Options<BatchOptions>(batch => batch.SetMessageLimit(MaxBatch).SetTimeLimit(TimeLimit).SetConcurrencyLimit(2));
}
