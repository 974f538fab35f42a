using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>extract_entities_from_context: rule-based candidates (see <see cref="EntityExtraction"/>); stores nothing.</summary>
public sealed class ExtractEntitiesFromContextConsumer : IConsumer<ExtractEntitiesFromContext>
{
    public Task Consume(ConsumeContext<ExtractEntitiesFromContext> context) => context.RespondWithAsync(() =>
        Task.FromResult(new ExtractedEntities(EntityExtraction.Extract(GraphRules.ContextText(context.Message.Text)))));
}
