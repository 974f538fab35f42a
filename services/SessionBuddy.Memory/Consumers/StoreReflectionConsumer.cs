using MassTransit;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Reflections;

namespace SessionBuddy.Memory.Consumers;

/// <summary>store_reflection: validate, embed (or store without a vector and say so), insert or find the duplicate.</summary>
public sealed class StoreReflectionConsumer(ReflectionStore store, ReflectionEmbedder embedder, MemoryOptions options) : IConsumer<StoreReflection>
{
    public async Task Consume(ConsumeContext<StoreReflection> context)
    {
        if (ReflectionRequestValidation.TryCreate(context.Message, options, out var reflection) is { } rejected)
        {
            await context.RespondAsync(rejected);
            return;
        }

        var embedded = await embedder.EmbedAsync([reflection.EmbeddedText], context.CancellationToken);
        var outcome = (await store.StoreAsync([reflection], embedded.Vectors, context.CancellationToken))[0];
        IReadOnlyList<string> warnings = embedded.Warning is { } warning && !outcome.Embedded
            ? [$"{warning}; stored without an embedding, found by keyword search only"]
            : [];
        await context.RespondAsync(new ReflectionStored(outcome.Id, outcome.Deduplicated, reflection.Project, outcome.Embedded, outcome.CreatedAt, warnings));
    }
}
