using SessionBuddy.Memory.KnowledgeGraph;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>get_knowledge_graph_stats: counts, types and the most connected entities.</summary>
public sealed class GetKnowledgeGraphStatsConsumer(KnowledgeGraphStore store) : IConsumer<GetKnowledgeGraphStats>
{
    public Task Consume(ConsumeContext<GetKnowledgeGraphStats> context) => context.RespondWithAsync(() => store.GetStatsAsync(context.CancellationToken));
}
