using System.Data.Common;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// The Aspire-style Ollama connection string, <c>ConnectionStrings:ollama</c> =
/// <c>Endpoint=http://host:11434;Model=nomic-embed-text</c>.
/// </summary>
public sealed record OllamaConnection(Uri Endpoint, string Model)
{
    public const string ConnectionName = "ollama";
    public const string DefaultModel = "nomic-embed-text";

    public static OllamaConnection Parse(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!builder.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint?.ToString(), UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings__{ConnectionName} needs Endpoint=http://host:11434 (got '{connectionString}').");
        }
        var model = builder.TryGetValue("Model", out var m) && !string.IsNullOrWhiteSpace(m?.ToString()) ? m.ToString()! : DefaultModel;
        return new OllamaConnection(uri, model);
    }
}
