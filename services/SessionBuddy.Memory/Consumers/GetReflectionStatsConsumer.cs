using MassTransit;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;

namespace SessionBuddy.Memory.Consumers;

/// <summary>get_reflection_stats.</summary>
public sealed class GetReflectionStatsConsumer(ReflectionStore store, EmbeddingSettings embeddings) : IConsumer<GetReflectionStats>
{
    public async Task Consume(ConsumeContext<GetReflectionStats> context)
    {
        var project = string.IsNullOrWhiteSpace(context.Message.Project) ? null : context.Message.Project.Trim();
        if (project is { Length: > ReflectionLimits.MaxProjectLength })
        {
            await context.RespondAsync(RequestRejected.InvalidArgument("project", $"may be at most {ReflectionLimits.MaxProjectLength} characters long"));
            return;
        }
        var provider = $"{embeddings.Provider}/{embeddings.Model}";
        await context.RespondAsync(await store.GetStatsAsync(project, provider, embeddings.Dimensions, context.CancellationToken));
    }
}
