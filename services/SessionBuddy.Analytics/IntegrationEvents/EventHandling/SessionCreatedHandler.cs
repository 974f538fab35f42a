using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>SessionCreated in batches: worker pools create a session per task, hundreds a second.</summary>
public sealed class SessionCreatedHandler(SessionActivityProjection projection) : IConsumer<Batch<SessionCreated>>
{
    public Task Consume(ConsumeContext<Batch<SessionCreated>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

/// <summary>Batches of up to 32 events, collected for at most 50 ms.</summary>
public sealed class SessionCreatedHandlerDefinition : ConsumerDefinition<SessionCreatedHandler>
{
    public const int MaxBatch = 32;

    public SessionCreatedHandlerDefinition() => Endpoint(e => e.PrefetchCount = 2 * MaxBatch);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SessionCreatedHandler> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.Options<BatchOptions>(batch => batch.SetMessageLimit(MaxBatch).SetTimeLimit(TimeSpan.FromMilliseconds(50)).SetConcurrencyLimit(2));
}
