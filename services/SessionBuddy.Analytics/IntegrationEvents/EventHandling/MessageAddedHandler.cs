using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>MessageAdded in batches: every add_message publishes one, hundreds a second under load.</summary>
public sealed class MessageAddedHandler(SessionActivityProjection projection) : IConsumer<Batch<MessageAdded>>
{
    public Task Consume(ConsumeContext<Batch<MessageAdded>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

/// <summary>Batches of up to 32 events, collected for at most 50 ms.</summary>
public sealed class MessageAddedHandlerDefinition : ConsumerDefinition<MessageAddedHandler>
{
    public const int MaxBatch = 32;

    public MessageAddedHandlerDefinition() => Endpoint(e => e.PrefetchCount = 2 * MaxBatch);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<MessageAddedHandler> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.Options<BatchOptions>(batch => batch.SetMessageLimit(MaxBatch).SetTimeLimit(TimeSpan.FromMilliseconds(50)).SetConcurrencyLimit(2));
}
