using MassTransit;
using SessionBuddy.Analytics.Activity;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>
/// MessageAdded is the busiest event (one per add_message), so it is applied in batches: whatever has
/// arrived within <see cref="MessageAddedHandlerDefinition.TimeLimit"/>, up to
/// <see cref="MessageAddedHandlerDefinition.MessageLimit"/>, in one statement.
/// </summary>
public sealed class MessageAddedHandler(SessionActivityProjection projection) : IConsumer<Batch<MessageAdded>>
{
    public Task Consume(ConsumeContext<Batch<MessageAdded>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class MessageAddedHandlerDefinition : ConsumerDefinition<MessageAddedHandler>
{
    public const int MessageLimit = 100;

    /// <summary>How long a batch waits for more events after its first: the projection's added lag.</summary>
    public static readonly TimeSpan TimeLimit = TimeSpan.FromMilliseconds(20);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<MessageAddedHandler> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.Options<BatchOptions>(batch => batch
            .SetMessageLimit(MessageLimit)
            .SetTimeLimit(TimeLimit)
            .SetConcurrencyLimit(2));
}
