using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>get_entity_relationships: relations to (in), from (out) or both.</summary>
public sealed class GetEntityRelationshipsConsumer(KnowledgeGraphStore store) : IConsumer<GetEntityRelationships>
{
    public Task Consume(ConsumeContext<GetEntityRelationships> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.GetRelationshipsAsync(
            GraphRules.Name(request.EntityName, "entity_name"),
            request.RelationType is null ? null : GraphRules.Type(request.RelationType, "relation_type"),
            GraphRules.Direction(request.Direction),
            context.CancellationToken);
    });
}
