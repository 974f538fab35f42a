using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>delete_entity: removes the entity, its observations and every relation touching it.</summary>
public sealed class DeleteEntityConsumer(KnowledgeGraphStore store) : IConsumer<DeleteEntity>
{
    public Task Consume(ConsumeContext<DeleteEntity> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.DeleteEntityAsync(GraphRules.Name(request.Name, "name"), context.CancellationToken);
    });
}
