using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>create_entity: a new entity; a name already taken (any case) is refused.</summary>
public sealed class CreateEntityConsumer(KnowledgeGraphStore store) : IConsumer<CreateEntity>
{
    public Task Consume(ConsumeContext<CreateEntity> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.CreateEntityAsync(
            request.OperationId,
            GraphRules.Name(request.Name, "name"),
            GraphRules.Type(request.EntityType, "entity_type"),
            GraphRules.Observations(request.Observations),
            GraphRules.Properties(request.Properties),
            context.CancellationToken);
    });
}
