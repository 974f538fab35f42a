using SessionBuddy.Analytics.Projections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>ToolCallsTimed: every gateway replica reports its tool-call latencies every few seconds.</summary>
public sealed class ToolCallsTimedHandler(ToolCallProjection projection) : IConsumer<Batch<ToolCallsTimed>>
{
    public Task Consume(ConsumeContext<Batch<ToolCallsTimed>> context) =>
        projection.ApplyAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class ToolCallsTimedHandlerDefinition : EventBatchDefinition<ToolCallsTimedHandler>;
