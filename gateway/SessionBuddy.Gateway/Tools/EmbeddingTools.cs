using SessionBuddy.Contracts.Memory;

namespace SessionBuddy.Gateway.Tools;

/// <summary>Embedding maintenance: re-embedding memories after the embedding model changed.</summary>
[McpServerToolType]
public sealed class EmbeddingTools(ServiceRequests requests)
{
    [McpServerTool(Name = "reembed_memories", UseStructuredContent = true, Idempotent = true)]
    [Description("Administrative: re-embed every memory with the deployment's embedding model (after changing the model or leaving the old hashed embedder). Starts a background job that survives restarts and returns its progress (total, done, remaining, vectors by model); call again, or with status_only, to follow it. Search keeps working meanwhile: memories not yet re-embedded are found by keyword.")]
    public Task<ReembeddingProgress> ReembedMemories(
        [Description("Only report progress; start nothing.")] bool? statusOnly = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ReembedMemories, ReembeddingProgress>(new ReembedMemories(statusOnly ?? false), cancellationToken);
}
