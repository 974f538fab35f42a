using System.Globalization;
using Npgsql;
using SessionBuddy.Memory.Embeddings;

namespace SessionBuddy.Memory.Search;

/// <summary>
/// Semantic ranking: nearest reflections by cosine distance. A filter that leaves at most
/// <see cref="MemoryOptions.ExactSearchMaxRows"/> rows and at most <see cref="MemoryOptions.ExactSearchMaxShare"/>
/// of the table (a bounded count decides) is answered exactly: the
/// distance to every matching row, read through the filter indexes (the covering
/// <c>reflections_exact_scan</c> index for project and category). Otherwise the pgvector HNSW index
/// answers, with filters inside the index scan (pgvector 0.8 iterative scans, relaxed order, re-sorted here).
/// </summary>
public sealed class VectorRanking(NpgsqlDataSource dataSource, MemoryOptions options, EmbeddingSettings embeddings)
{
    private const string ScanSettingsSql =
        "SELECT set_config('hnsw.ef_search', @ef_search, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)";

    // The query vector as an InitPlan: converted from the real[] parameter once per query. A bare
    // @vector::real[]::vector is folded to a constant only in a custom plan; once PostgreSQL runs the
    // (auto-prepared) statement on its generic plan, the conversion runs again for every row compared,
    // which doubled the exact search over a 5,000-row project (24 against 11 ms).
    private const string QueryVector = "(SELECT @vector::real[]::vector)";

    // Only vectors of the configured model are compared (others wait for re-embedding; keyword finds them).
    private const string SameModel = "r.embedding_model = (SELECT id FROM embedding_models WHERE name = @model)";

    private const string NearestSql =
        $"""
        WITH nearest AS MATERIALIZED (
            SELECT r.id, r.embedding <=> {QueryVector} AS distance
            FROM reflections r
            WHERE r.embedding IS NOT NULL AND {SameModel} AND {SearchFilter.Sql}
            ORDER BY r.embedding <=> {QueryVector}
            LIMIT @fetch
        )
        SELECT id, 1 - distance FROM nearest ORDER BY distance, id LIMIT @limit
        """;

    // At most @max + 1 matching rows are counted: enough to tell a selective filter from a broad one.
    // Rows without an embedding (stored while Ollama was down) count too, so the count can be read from
    // a narrow filter index: testing the embedding made PostgreSQL read the wide covering index instead,
    // 8 ms against 2 ms for a 5,000-row project. An over-count only sends a search to the HNSW index.
    // @max is the smaller of ExactSearchMaxRows and ExactSearchMaxShare of the table's row estimate
    // (reltuples, -1 until the table is first analysed: then ExactSearchMaxRows alone).
    private const string CountSql =
        $"""
        WITH bound AS (
            SELECT CASE WHEN @share < 1 AND c.reltuples >= 0 THEN least(@max, greatest(0, floor(@share * c.reltuples))::int) ELSE @max END AS max
            FROM pg_class c WHERE c.oid = 'reflections'::regclass
        )
        SELECT count(*) <= (SELECT max FROM bound) FROM (
            SELECT 1 FROM reflections r WHERE {SearchFilter.Sql} LIMIT (SELECT max FROM bound) + 1
        ) s
        """;

    // Every matching row's distance, sorted: exact. The materialised CTE keeps the ORDER BY away from the
    // HNSW index, so the rows come through the filter indexes (index-only on reflections_exact_scan for a
    // project and category filter).
    private const string ExactSql =
        $"""
        WITH matching AS MATERIALIZED (
            SELECT r.id, r.embedding <=> {QueryVector} AS distance
            FROM reflections r
            WHERE r.embedding IS NOT NULL AND {SameModel} AND {SearchFilter.Sql}
        )
        SELECT id, 1 - distance FROM matching ORDER BY distance, id LIMIT @limit
        """;

    // The exact path reads the covering index in random order, which PostgreSQL costs at random_page_cost 4
    // (a disk's seek) per page; the embeddings in the heap it costs as one sequential read, though each is
    // a TOAST fetch. Costed so, a filter matching most of the table (SciFact: one project) went to the heap
    // at several times the server CPU of the index. The store's pages are in
    // memory, where a random read costs about a sequential one.
    private const string CachedPagesSql = "SELECT set_config('random_page_cost', '1.1', true)";

    public async Task<IReadOnlyList<RankedId>> RankAsync(float[] vector, SearchFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await IsExactAsync(connection, filter, cancellationToken))
        {
            return await ExactAsync(connection, vector, embeddings.Key, filter, limit, cancellationToken);
        }
        return await NearestAsync(connection, vector, filter, limit, cancellationToken);
    }

    /// <summary>
    /// True when a search with <paramref name="filter"/> is answered by the exact scan: the filter leaves at
    /// most <see cref="MemoryOptions.ExactSearchMaxRows"/> rows and at most <see cref="MemoryOptions.ExactSearchMaxShare"/>
    /// of the table; otherwise (and without a filter) the HNSW index answers.
    /// </summary>
    public async Task<bool> UsesExactScanAsync(SearchFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await IsExactAsync(connection, filter, cancellationToken);
    }

    private async Task<bool> IsExactAsync(NpgsqlConnection connection, SearchFilter filter, CancellationToken cancellationToken)
    {
        if (filter.IsEmpty || options.ExactSearchMaxRows <= 0)
        {
            return false;
        }
        await using var command = new NpgsqlCommand(filter.Apply(CountSql), connection);
        command.Parameters.AddWithValue("max", options.ExactSearchMaxRows);
        command.Parameters.AddWithValue("share", options.ExactSearchMaxShare);
        filter.AddParameters(command.Parameters);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static Task<List<RankedId>> ExactAsync(
        NpgsqlConnection connection, float[] vector, string model, SearchFilter filter, int limit, CancellationToken cancellationToken)
    {
        var exact = new NpgsqlBatchCommand(filter.Apply(ExactSql));
        exact.Parameters.AddWithValue("vector", vector);
        exact.Parameters.AddWithValue("model", model);
        exact.Parameters.AddWithValue("limit", limit);
        filter.AddParameters(exact.Parameters);
        return RankingBatch.ReadAsync(connection, new NpgsqlBatchCommand(CachedPagesSql), exact, limit, cancellationToken);
    }

    private Task<List<RankedId>> NearestAsync(
        NpgsqlConnection connection, float[] vector, SearchFilter filter, int limit, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlBatchCommand(ScanSettingsSql);
        var efSearch = Math.Max(options.HnswEfSearch, limit);
        settings.Parameters.AddWithValue("ef_search", efSearch.ToString(CultureInfo.InvariantCulture));

        var nearest = new NpgsqlBatchCommand(filter.Apply(NearestSql));
        nearest.Parameters.AddWithValue("vector", vector);
        nearest.Parameters.AddWithValue("model", embeddings.Key);
        nearest.Parameters.AddWithValue("limit", limit);
        // The index yields rows in roughly ascending distance (relaxed order; a filtered iterative scan takes
        // matches as the graph walk meets them): reading a few times the limit and keeping the closest finds
        // true neighbours met late (MemoryOptions.HnswOverFetch).
        nearest.Parameters.AddWithValue("fetch", Math.Max(limit, Math.Min(efSearch, Math.Max(1, options.HnswOverFetch) * limit)));
        filter.AddParameters(nearest.Parameters);
        return RankingBatch.ReadAsync(connection, settings, nearest, limit, cancellationToken);
    }
}
