using SessionBuddy.Analytics.Projections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Analytics.IntegrationEvents.EventHandling;

/// <summary>ToolCallAudited: each gateway reports every mutating tool call.</summary>
public sealed class ToolCallAuditedHandler(AuditLogStore store) : IConsumer<Batch<ToolCallAudited>>
{
    public Task Consume(ConsumeContext<Batch<ToolCallAudited>> context) =>
        store.AppendAsync([.. context.Message.Select(m => (m.MessageId!.Value, m.Message))], context.CancellationToken);
}

public sealed class ToolCallAuditedHandlerDefinition : EventBatchDefinition<ToolCallAuditedHandler>;
