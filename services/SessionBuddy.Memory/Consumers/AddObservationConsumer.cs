using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>add_observation: appends a fact to an existing entity, once.</summary>
public sealed class AddObservationConsumer(KnowledgeGraphStore store) : IConsumer<AddObservation>
{
    public Task Consume(ConsumeContext<AddObservation> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.AddObservationAsync(
            request.OperationId, GraphRules.Name(request.EntityName, "entity_name"), GraphRules.Observation(request.Observation), context.CancellationToken);
    });
}
