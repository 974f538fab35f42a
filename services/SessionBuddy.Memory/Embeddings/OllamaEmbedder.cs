using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// Embeddings from an Ollama server (<c>POST /api/embed</c> with <c>{model, input: [...]}</c>, answered
/// with <c>{embeddings: [[...]]}</c>). A typed HttpClient: the base address comes from the connection string.
/// Failures surface as <see cref="EmbeddingUnavailableException"/> so callers can degrade to keyword search.
/// </summary>
public sealed class OllamaEmbedder(HttpClient http, OllamaConnection connection) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata = new("ollama", connection.Endpoint, connection.Model);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToList();
        var model = options?.ModelId ?? connection.Model;
        EmbedResponse? response;
        try
        {
            using var reply = await http.PostAsJsonAsync(
                new Uri(connection.Endpoint, "/api/embed"), new EmbedRequest(model, inputs), cancellationToken);
            if (!reply.IsSuccessStatusCode)
            {
                var body = await reply.Content.ReadAsStringAsync(cancellationToken);
                throw new EmbeddingUnavailableException(
                    $"Ollama at {connection.Endpoint} answered {(int)reply.StatusCode} for model '{model}': {Truncate(body)}");
            }
            response = await reply.Content.ReadFromJsonAsync<EmbedResponse>(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddingUnavailableException($"Ollama at {connection.Endpoint} is unreachable: {ex.Message}", ex);
        }

        if (response?.Embeddings is not { } embeddings || embeddings.Count != inputs.Count)
        {
            throw new EmbeddingUnavailableException(
                $"Ollama at {connection.Endpoint} returned {response?.Embeddings?.Count ?? 0} embeddings for {inputs.Count} inputs.");
        }

        var result = new GeneratedEmbeddings<Embedding<float>>(embeddings.Count);
        foreach (var vector in embeddings)
        {
            result.Add(new Embedding<float>(vector) { ModelId = response.Model ?? model, CreatedAt = DateTimeOffset.UtcNow });
        }
        if (response.PromptEvalCount is { } tokens)
        {
            result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        }
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200];

    private sealed record EmbedRequest(
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("input")] IReadOnlyList<string> Input);

    private sealed record EmbedResponse(
        [property: JsonPropertyName("model")] string? Model,
        [property: JsonPropertyName("embeddings")] List<float[]>? Embeddings,
        [property: JsonPropertyName("prompt_eval_count")] long? PromptEvalCount);
}

/// <summary>The embedding provider could not produce vectors (down, misconfigured, wrong dimension).</summary>
public sealed class EmbeddingUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
