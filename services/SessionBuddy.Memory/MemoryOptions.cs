using System.ComponentModel.DataAnnotations;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Memory.Memories;

namespace SessionBuddy.Memory;

/// <summary>Deployment settings of the Memory service, bound from the <c>Memory</c> configuration section.</summary>
public sealed class MemoryOptions : IValidatableObject
{
    public const string SectionName = "Memory";

    /// <summary>
    /// Length of every stored vector. Fixed per database: start-up fails when the column holds another
    /// dimension (changing the model needs a re-embed, never silent mixing). Defaults to 768 with Ollama
    /// (nomic-embed-text) and 384 with the built-in embedder.
    /// </summary>
    [Range(1, 2_000, ErrorMessage = "must be between 1 and 2000 (pgvector indexes at most 2,000 dimensions)")]
    public int? EmbeddingDimensions { get; set; }

    /// <summary>
    /// The embedder when no Ollama is configured: <c>builtin</c> (all-MiniLM-L6-v2, 384 dimensions, the
    /// default) or <c>hashed</c> (feature hashing of words, no model; what the built-in embedder was
    /// before, kept for tests and tiny machines). Vectors of another model are re-embedded, never mixed.
    /// </summary>
    [Required, AllowedValues(EmbeddingSettings.BuiltIn, EmbeddingSettings.Hashed, EmbeddingSettings.Ollama, ErrorMessage = "must be builtin or hashed (Ollama is chosen by ConnectionStrings:ollama)")]
    public string Embedder { get; set; } = Embeddings.EmbeddingSettings.BuiltIn;

    /// <summary>
    /// Start a re-embedding job at start-up when reflections lack a vector of the configured model (the
    /// model was changed); <c>reembed_memories</c> starts one on demand either way.
    /// </summary>
    public bool ReembedOnModelChange { get; set; } = true;

    /// <summary>Memory categories accepted by store_memory besides the built-in ones (<see cref="MemoryCatalog"/>).</summary>
    /// <remarks>Empty by default: the configuration binder appends to an array's initial items instead of replacing them.</remarks>
    public string[] ExtraCategories { get; set; } = [];

    /// <summary>Longest content accepted by store_reflection, in characters.</summary>
    [Range(1, int.MaxValue)]
    public int MaxContentLength { get; set; } = 50_000;

    /// <summary>
    /// HNSW candidate list size for unfiltered (or broadly filtered) semantic search; iterative scans extend
    /// it when filters discard rows. On 100,000 reflections with the built-in embedder and the default graph
    /// (m 16, ef_construction 64), recall@10 against an exact scan was 0.71 at 100, 0.80 at 200, 0.87 at 400.
    /// </summary>
    [Range(1, 1_000)]
    public int HnswEfSearch { get; set; } = 100;

    /// <summary>
    /// HNSW graph degree (pgvector <c>m</c>, default 16). The built-in embedder's hashed vectors are
    /// near-orthogonal and of high intrinsic dimension, which a sparse graph navigates badly: on 100,000
    /// reflections m 32 / ef_construction 128 reached unfiltered recall@10 0.88 / 0.95 / 0.98 at ef_search
    /// 100 / 200 / 400 (p50 10 / 19 / 34 ms) against 0.71 / 0.80 / 0.87 with m 16 / 64, but inserts into
    /// the denser graph ran at half the rate (57 against 119 a second; a 500-row batch then outlasted the
    /// 30 s command timeout on a busy machine), so the default stays at pgvector's. Changing it rebuilds
    /// the index at the next start.
    /// </summary>
    [Range(2, 100, ErrorMessage = "must be 2-100 (pgvector)")]
    public int HnswM { get; set; } = 16;

    /// <summary>HNSW build candidate list size (pgvector <c>ef_construction</c>, default 64, at least 2 × <see cref="HnswM"/>); see <see cref="HnswM"/>.</summary>
    [Range(4, 1_000, ErrorMessage = "must be 4-1000 (pgvector)")]
    public int HnswEfConstruction { get; set; } = 64;

    /// <summary>
    /// Semantic search reads this many times the requested limit from the HNSW index (at most ef_search)
    /// and keeps the closest. A filtered iterative scan returns matches in the order the graph walk meets
    /// them, so reading more finds true neighbours it met late: on 100,000 reflections in 20 projects,
    /// recall@10 with a project filter rose from 0.62 to 0.84 at 4, at about three times the latency of
    /// filtered semantic search. 1 reads only the limit.
    /// </summary>
    [Range(1, 100)]
    public int HnswOverFetch { get; set; } = 4;

    /// <summary>
    /// A semantic search whose filter leaves at most this many reflections is answered exactly (the
    /// distance to every matching row, through the filter indexes) instead of from the HNSW index; a count
    /// bounded by this number decides. On 100,000 reflections in 20 projects, a project-filtered search
    /// (5,000 rows, index-only through <c>reflections_exact_scan</c>) took p50 10 ms with recall 1.0,
    /// against 53 ms and recall 0.85 for the filtered HNSW scan. 0 always uses the HNSW index.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ExactSearchMaxRows { get; set; } = 10_000;

    /// <summary>
    /// A filter that leaves more than this share of all reflections (the table's row estimate from its last
    /// ANALYZE) is searched through the HNSW index like an unfiltered search, however few rows that is: the
    /// index's filtered scan discards few rows then, so it finds what the unfiltered one would, and the exact
    /// scan would read most of the table. SciFact (5,183 abstracts, all in one project): semantic ranking
    /// at depth 50 cost 7.2 ms of server CPU exact against 3.7 ms through the index, which returned 0.998 of the
    /// exact top 10 (semantic nDCG@10 unchanged; bench/README.md, issue 22).
    /// 1 or more keeps every filter within <see cref="ExactSearchMaxRows"/> exact; so does a table never analysed.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ExactSearchMaxShare { get; set; } = 0.5;

    /// <summary>
    /// Keyword search's candidate budget, in postings (0: always exact). A query whose terms have more
    /// postings in all takes its candidates only from its rarest terms, in ascending document frequency
    /// while their postings fit this budget, and ranks the best <see cref="KeywordRescoredCandidates"/> of
    /// them (at least 2 × the limit) by their full BM25 score; see <c>Bm25Approximation</c>. The scores
    /// returned are exact; a document matching only the query's common terms is not found. On 100,000
    /// reflections (200 SciFact claims, ~16 terms and ~50,000 postings each) 10,000 gave keyword p95 21-34 ms
    /// against 125-164 ms exact, with 0.94 of the exact top 10 returned (0.995 of their summed score; with a
    /// project filter 0.91 and 0.992, p95 11-13 against 40-46 ms); 8,000 gave 18-25 ms and 0.92, 15,000
    /// 32 ms and 0.97. SciFact (5,183 documents) kept nDCG@10 0.689. 0 always ranks exactly.
    /// </summary>
    [Range(0, long.MaxValue, ErrorMessage = "must be 0 (exact) or more")]
    public long KeywordCandidatePostings { get; set; } = 10_000;

    /// <summary>How many of the approximate path's candidates are fully scored; see <see cref="KeywordCandidatePostings"/>.</summary>
    [Range(1, int.MaxValue)]
    public int KeywordRescoredCandidates { get; set; } = 100;

    /// <summary>
    /// Weights of the two ranked lists in hybrid reciprocal rank fusion (k = 60). Semantic defaults to
    /// <see cref="BuiltInSemanticWeight"/> with the built-in model, 1 (plain RRF) with Ollama, and 0 with the
    /// hashed embedder, whose vectors are too weak to help (SciFact nDCG@10 0.38 against BM25's 0.69): at 0,
    /// hybrid keeps the BM25 order and semantic matches only fill the list after it. bench search-quality
    /// chooses the weight on half of the SciFact queries and reports it on the other half (bench/README.md).
    /// </summary>
    [Range(0.0, double.MaxValue)]
    public double KeywordWeight { get; set; } = 1.0;

    [Range(0.0, double.MaxValue)]
    public double? SemanticWeight { get; set; }

    /// <summary>The semantic fusion weight for all-MiniLM-L6-v2; see <see cref="KeywordWeight"/>.</summary>
    public const double BuiltInSemanticWeight = 0.75;

    /// <summary>The checks across settings: pgvector's ef_construction of at least 2 × m, and the built-in model's size; and category names.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var extra in ExtraCategories.Where(extra => !MemoryCatalog.IsCategoryName(extra)))
        {
            yield return new ValidationResult(MemoryCatalog.NotACategoryName(extra), [nameof(ExtraCategories)]);
        }
        if (HnswEfConstruction < 2 * HnswM)
        {
            yield return new ValidationResult($"must be at least 2 × HnswM ({2 * HnswM}), got {HnswEfConstruction}", [nameof(HnswEfConstruction)]);
        }
        if (Embedder == EmbeddingSettings.BuiltIn && EmbeddingDimensions is { } dimensions && dimensions != MiniLmModel.Dimensions)
        {
            yield return new ValidationResult(
                $"the built-in embedder ({MiniLmModel.ModelId}) makes {MiniLmModel.Dimensions}-dimensional vectors, got {dimensions}", [nameof(EmbeddingDimensions)]);
        }
    }
}
