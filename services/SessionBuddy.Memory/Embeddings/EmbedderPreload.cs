using Microsoft.Extensions.AI;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>Starts loading the built-in model with the service (about 2 s), so the first store or search does not wait for it.</summary>
public sealed class EmbedderPreload(IEmbeddingGenerator<string, Embedding<float>> generator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        (generator as MiniLmEmbedder)?.Preload();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
