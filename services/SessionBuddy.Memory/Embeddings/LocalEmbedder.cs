using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// The built-in embedder used when no Ollama is configured: deterministic, offline, no model. Signed
/// feature hashing of stemmed word unigrams, adjacent word pairs and character trigrams, with sublinear
/// term frequency and English stop-words dropped, L2-normalised. Texts sharing wording (also inflected
/// or misspelt) land close; it knows no synonyms.
/// </summary>
public sealed class LocalEmbedder(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "sessionbuddy-local-hash-v1";
    private const float WordWeight = 1.0f;
    private const float PairWeight = 0.5f;
    private const float TrigramWeight = 0.35f;

    private readonly EmbeddingGeneratorMetadata _metadata = new("local", null, ModelId, dimensions);

    public int Dimensions { get; } = dimensions > 0 ? dimensions : throw new ArgumentOutOfRangeException(nameof(dimensions));

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            result.Add(new Embedding<float>(Embed(value)) { ModelId = ModelId, CreatedAt = DateTimeOffset.UtcNow });
        }
        return Task.FromResult(result);
    }

    public float[] Embed(string text)
    {
        var vector = new float[Dimensions];
        var words = TextAnalysis.Words(text);

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string feature) => CollectionsMarshal.GetValueRefOrAddDefault(counts, feature, out _)++;

        string? previous = null;
        foreach (var word in words)
        {
            Count("w:" + word);
            if (previous is not null)
            {
                Count("p:" + previous + " " + word);
            }
            previous = word;
            var padded = "<" + word + ">";
            for (var i = 0; i + 3 <= padded.Length; i++)
            {
                Count("t:" + padded.Substring(i, 3));
            }
        }

        foreach (var (feature, count) in counts)
        {
            var weight = feature[0] switch { 'w' => WordWeight, 'p' => PairWeight, _ => TrigramWeight };
            var hash = Fnv1a(feature);
            var index = (int)(hash % (ulong)Dimensions);
            // The sign bit comes from another part of the hash, so collisions cancel out on average.
            var sign = (hash >> 63) == 0 ? 1f : -1f;
            vector[index] += sign * weight * (1f + MathF.Log(count));
        }

        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        if (norm > 0)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] /= norm;
            }
        }
        return vector;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    // A stable hash (string.GetHashCode is randomised per process; vectors must not change between runs).
    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        // Final avalanche so the low bits (the bucket) and the top bit (the sign) are independent.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }
}
