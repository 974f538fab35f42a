using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>create_relation: both entities must exist; self and duplicate relations are refused.</summary>
public sealed class CreateRelationConsumer(KnowledgeGraphStore store) : IConsumer<CreateRelation>
{
    public Task Consume(ConsumeContext<CreateRelation> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.CreateRelationAsync(
            request.OperationId,
            GraphRules.Name(request.FromEntity, "from_entity"),
            GraphRules.Name(request.ToEntity, "to_entity"),
            GraphRules.Type(request.RelationType, "relation_type"),
            GraphRules.Properties(request.Properties),
            context.CancellationToken);
    });
}
