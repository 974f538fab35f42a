using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>search_entities: substring match on name, type and observations; exact and prefix name matches first.</summary>
public sealed class SearchEntitiesConsumer(KnowledgeGraphStore store) : IConsumer<SearchEntities>
{
    public Task Consume(ConsumeContext<SearchEntities> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.SearchAsync(
            GraphRules.Name(request.Query, "query"),
            request.EntityType is null ? null : GraphRules.Type(request.EntityType, "entity_type"),
            GraphRules.SearchLimit(request.Limit),
            context.CancellationToken);
    });
}
