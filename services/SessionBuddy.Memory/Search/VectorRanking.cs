using System.Globalization;
using Npgsql;

namespace SessionBuddy.Memory.Search;

/// <summary>
/// Semantic ranking: nearest reflections by cosine distance from the pgvector HNSW index. Filters run
/// inside the index scan with pgvector 0.8 iterative scans (relaxed order, re-sorted here), so a narrow
/// filter keeps scanning instead of returning too few rows.
/// </summary>
public sealed class VectorRanking(NpgsqlDataSource dataSource, MemoryOptions options)
{
    private const string ScanSettingsSql =
        "SELECT set_config('hnsw.ef_search', @ef_search, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)";

    private const string NearestSql =
        $"""
        WITH nearest AS MATERIALIZED (
            SELECT r.id, r.embedding <=> @vector::real[]::vector AS distance
            FROM reflections r
            WHERE r.embedding IS NOT NULL AND {SearchFilter.Sql}
            ORDER BY r.embedding <=> @vector::real[]::vector
            LIMIT @fetch
        )
        SELECT id, 1 - distance FROM nearest ORDER BY distance, id LIMIT @limit
        """;

    public async Task<IReadOnlyList<RankedId>> RankAsync(float[] vector, SearchFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One batch is one implicit transaction, so the transaction-local scan settings apply to the query.
        await using var batch = new NpgsqlBatch(connection);
        var settings = new NpgsqlBatchCommand(ScanSettingsSql);
        var efSearch = Math.Max(options.HnswEfSearch, limit);
        settings.Parameters.AddWithValue("ef_search", efSearch.ToString(CultureInfo.InvariantCulture));
        batch.BatchCommands.Add(settings);

        var nearest = new NpgsqlBatchCommand(NearestSql);
        nearest.Parameters.AddWithValue("vector", vector);
        nearest.Parameters.AddWithValue("limit", limit);
        // The index yields rows in roughly ascending distance (relaxed order; a filtered iterative scan takes
        // matches as the graph walk meets them): reading a few times the limit and keeping the closest finds
        // true neighbours met late (MemoryOptions.HnswOverFetch).
        nearest.Parameters.AddWithValue("fetch", Math.Max(limit, Math.Min(efSearch, Math.Max(1, options.HnswOverFetch) * limit)));
        filter.AddParameters(nearest.Parameters);
        batch.BatchCommands.Add(nearest);

        var ranked = new List<RankedId>(limit);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ranked.Add(new RankedId(reader.GetGuid(0), reader.GetDouble(1)));
        }
        return ranked;
    }
}
