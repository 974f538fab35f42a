namespace SessionBuddy.Memory;

/// <summary>Deployment settings of the Memory service, bound from the <c>Memory</c> configuration section.</summary>
public sealed class MemoryOptions
{
    public const string SectionName = "Memory";

    /// <summary>
    /// Length of every stored vector. Fixed per database: start-up fails when the column holds another
    /// dimension (changing the model needs a re-embed, never silent mixing). Defaults to 768 with Ollama
    /// (nomic-embed-text) and 384 with the built-in embedder.
    /// </summary>
    public int? EmbeddingDimensions { get; set; }

    /// <summary>Longest content accepted by store_reflection, in characters.</summary>
    public int MaxContentLength { get; set; } = 50_000;

    /// <summary>HNSW candidate list size for semantic search; iterative scans extend it when filters discard rows.</summary>
    public int HnswEfSearch { get; set; } = 100;

    /// <summary>
    /// Weights of the two ranked lists in hybrid reciprocal rank fusion (k = 60). The built-in embedder
    /// is weaker than BM25 on sentence-long queries, so keyword evidence counts more by default; with a
    /// real embedding model set both to 1 for plain RRF.
    /// </summary>
    public double KeywordWeight { get; set; } = 1.0;

    public double SemanticWeight { get; set; } = 0.5;
}
