using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>find_path: the shortest relation chain, or found = false within max_depth.</summary>
public sealed class FindPathConsumer(KnowledgeGraphStore store) : IConsumer<FindPath>
{
    public Task Consume(ConsumeContext<FindPath> context) => context.RespondWithAsync(() =>
    {
        var request = context.Message;
        return store.FindPathAsync(
            GraphRules.Name(request.FromEntity, "from_entity"),
            GraphRules.Name(request.ToEntity, "to_entity"),
            GraphRules.PathDepth(request.MaxDepth),
            context.CancellationToken);
    });
}
