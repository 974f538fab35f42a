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
    /// Weights of the two ranked lists in hybrid reciprocal rank fusion (k = 60). Semantic defaults to 1
    /// (plain RRF) with Ollama and to 0 with the built-in embedder: on SciFact the hashing embedder scores
    /// nDCG@10 0.38 against BM25's 0.69, and every RRF weight tried (1 down to 0.02) lowered hybrid below
    /// keyword. At 0, hybrid keeps the BM25 order and semantic matches only fill the list after it, so
    /// fusion never hurts and still finds what shares no word with the query.
    /// </summary>
    public double KeywordWeight { get; set; } = 1.0;

    public double? SemanticWeight { get; set; }
}
