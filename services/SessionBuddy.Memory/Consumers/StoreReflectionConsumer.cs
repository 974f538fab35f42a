using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Consumers;

/// <summary>store_reflection: validate, embed (or store without a vector and say so), insert or find the duplicate.</summary>
public sealed class StoreReflectionConsumer(ReflectionStore store, ReflectionEmbedder embedder, MemoryOptions options) : IConsumer<StoreReflection>
{
    public Task Consume(ConsumeContext<StoreReflection> context) => context.RespondWithAsync(async () =>
    {
        var reflection = ReflectionRules.Validate(context.Message, options);
        var embedded = await embedder.EmbedAsync([reflection.EmbeddedText], context.CancellationToken);
        var outcome = (await store.StoreAsync([reflection], embedded.Vectors, context.CancellationToken))[0];
        IReadOnlyList<string> warnings = embedded.Warning is { } warning && !outcome.Embedded
            ? [$"{warning}; stored without an embedding, found by keyword search only"]
            : [];
        return new StoreReflectionReply(outcome.Id, outcome.Deduplicated, reflection.Project, outcome.Embedded, outcome.CreatedAt, warnings);
    });
}
