using Microsoft.Extensions.AI;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>Which embeddings this deployment stores: provider, model and the fixed vector length.</summary>
public sealed record EmbeddingSettings(string Provider, string Model, int Dimensions)
{
    public const string BuiltIn = "builtin";
    public const string Hashed = "hashed";
    public const string Ollama = "ollama";

    /// <summary>The name every stored vector records (<c>embedding_models.name</c>): provider/model.</summary>
    public string Key => $"{Provider}/{Model}";
}

/// <summary>
/// Turns texts into vectors of the deployment's dimension, or explains why it cannot. A provider that
/// is down or answers with another dimension yields no vectors and a warning, never an exception: the
/// caller stores without a vector or searches by keyword.
/// </summary>
public sealed partial class ReflectionEmbedder(
    IEmbeddingGenerator<string, Embedding<float>> generator, EmbeddingSettings settings, ILogger<ReflectionEmbedder> logger)
{
    public EmbeddingSettings Settings => settings;

    public async Task<EmbeddingOutcome> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0)
        {
            return new EmbeddingOutcome([], null);
        }
        // Identical texts (a pool running the same command to the same end, a bulk import) are embedded once.
        var distinct = texts.Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            var embeddings = await generator.GenerateAsync(distinct, cancellationToken: cancellationToken);
            var vectors = embeddings.Select(e => e.Vector.ToArray()).ToArray();
            if (distinct.Length < texts.Count)
            {
                var byText = distinct.Zip(vectors).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
                vectors = [.. texts.Select(t => byText[t])];
            }
            if (vectors.FirstOrDefault(v => v.Length != settings.Dimensions) is { } wrong)
            {
                LogWrongDimension(settings.Provider, settings.Model, wrong.Length, settings.Dimensions);
                return new EmbeddingOutcome(null,
                    $"embedding model '{settings.Model}' returned {wrong.Length}-dimensional vectors but this deployment stores " +
                    $"{settings.Dimensions} (Memory:EmbeddingDimensions); semantic search is unavailable until they match");
            }
            return new EmbeddingOutcome(vectors, null);
        }
        catch (EmbeddingUnavailableException ex)
        {
            LogUnavailable(settings.Provider, ex.Message);
            return new EmbeddingOutcome(null, $"embeddings unavailable ({settings.Provider}): {ex.Message}");
        }
    }

    [LoggerMessage(LogLevel.Warning, "Embedding provider {Provider} unavailable: {Reason}")]
    private partial void LogUnavailable(string provider, string reason);

    [LoggerMessage(LogLevel.Error, "Embedding provider {Provider} model {Model} returned {Actual} dimensions; configured {Expected}")]
    private partial void LogWrongDimension(string provider, string model, int actual, int expected);
}

/// <summary>Either one vector per text, or a warning saying why there are none.</summary>
public sealed record EmbeddingOutcome(float[][]? Vectors, string? Warning);
