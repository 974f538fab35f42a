using Microsoft.Extensions.AI;
using OllamaSharp;
using OllamaSharp.Models.Exceptions;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// Embeddings from an Ollama server through OllamaSharp's <see cref="OllamaApiClient"/> (its
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: <c>POST /api/embed</c>). A typed HttpClient: the base
/// address comes from the connection string. Failures surface as <see cref="EmbeddingUnavailableException"/>
/// so callers can degrade to keyword search.
/// </summary>
public sealed class OllamaEmbedder : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OllamaConnection _connection;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _client;

    public OllamaEmbedder(HttpClient http, OllamaConnection connection)
    {
        _connection = connection;
        http.BaseAddress ??= connection.Endpoint;
        _client = new OllamaApiClient(http, connection.Model);
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToList();
        var model = options?.ModelId ?? _connection.Model;
        GeneratedEmbeddings<Embedding<float>> result;
        try
        {
            result = await _client.GenerateAsync(inputs, options, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.StatusCode is { } status)
        {
            throw new EmbeddingUnavailableException($"Ollama at {_connection.Endpoint} answered {(int)status} for model '{model}': {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new EmbeddingUnavailableException($"Ollama at {_connection.Endpoint} is unreachable: {ex.Message}", ex);
        }
        catch (OllamaException ex)
        {
            throw new EmbeddingUnavailableException($"Ollama at {_connection.Endpoint} could not embed with model '{model}': {ex.Message}", ex);
        }

        if (result.Count != inputs.Count)
        {
            throw new EmbeddingUnavailableException($"Ollama at {_connection.Endpoint} returned {result.Count} embeddings for {inputs.Count} inputs.");
        }
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _client.GetService(serviceType, serviceKey);

    // The HttpClient belongs to the factory.
    public void Dispose()
    {
    }
}

/// <summary>The embedding provider could not produce vectors (down, misconfigured, wrong dimension).</summary>
public sealed class EmbeddingUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
