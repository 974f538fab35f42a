using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Memory.Consumers;

/// <summary>reembed_memories: opens the re-embedding job (idempotent) and reports its progress; the worker does the work.</summary>
public sealed class ReembedMemoriesConsumer(Reembedding reembedding, ReembeddingSignal signal) : IConsumer<ReembedMemories>
{
    public async Task Consume(ConsumeContext<ReembedMemories> context)
    {
        if (!context.Message.StatusOnly)
        {
            await reembedding.OpenAsync(context.CancellationToken);
            signal.Raise();
        }
        await context.RespondAsync(await reembedding.GetProgressAsync(context.CancellationToken));
    }
}
