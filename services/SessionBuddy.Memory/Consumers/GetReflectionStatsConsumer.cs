using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>get_reflection_stats.</summary>
public sealed class GetReflectionStatsConsumer(ReflectionStore store, EmbeddingSettings embeddings) : IConsumer<GetReflectionStats>
{
    public Task Consume(ConsumeContext<GetReflectionStats> context) => context.RespondWithAsync(() => store.GetStatsAsync(
        ReflectionRules.Name("project", context.Message.Project, ReflectionLimits.MaxProjectLength),
        $"{embeddings.Provider}/{embeddings.Model}", embeddings.Dimensions, context.CancellationToken));
}
