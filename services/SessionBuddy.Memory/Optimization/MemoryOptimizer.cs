using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Memory.Reflections;

namespace SessionBuddy.Memory.Optimization;

/// <summary>
/// One optimisation run: compares memories stored since the last run with their nearest neighbour in
/// the same project and category and merges pairs above the similarity threshold into the older one,
/// tidies access counts and counts stale items. Merging never loses content: the survivor lists each
/// merged item under <c>metadata.merged_from</c> and <c>memory_merges</c> keeps it whole. Runs of all
/// replicas are serialised by an advisory lock.
/// </summary>
public sealed partial class MemoryOptimizer(
    NpgsqlDataSource dataSource, ReflectionStore store, OptimizationOptions options, ILogger<MemoryOptimizer> logger)
{
    private const long RunLockKey = 0x5E55_10B0_0971;

    // Rows committed out of creation order are caught by re-checking this much before the last run.
    private static readonly TimeSpan CommitMargin = TimeSpan.FromMinutes(1);

    private const string LastRunSql = "SELECT checked_until, finished_at FROM memory_optimization_runs ORDER BY finished_at DESC LIMIT 1";

    // Each candidate's nearest neighbour in its project and category. Candidates: stored since the last
    // run (@ids null), or the given ids (whose first neighbour was merged away meanwhile).
    private const string NeighboursSql =
        """
        WITH candidates AS MATERIALIZED (
            SELECT id, project, category, embedding, embedding_model, created_at FROM reflections
            WHERE embedding IS NOT NULL AND NOT (category = ANY(@excluded))
              AND (CASE WHEN @ids::uuid[] IS NULL THEN created_at > @since ELSE id = ANY(@ids) END)
            ORDER BY created_at, id LIMIT @batch
        )
        SELECT c.id, c.created_at, n.id, n.similarity
        FROM candidates c
        LEFT JOIN LATERAL (
            -- The nearest few by the HNSW index without filters (a filtered iterative scan per candidate is
            -- far slower), then the closest of those in the same project and category. Near-duplicates sit
            -- at the very top, so they are found unless more than @neighbours copies live elsewhere.
            SELECT n.id, n.similarity FROM (
                SELECT b.id, b.project, b.category, b.embedding_model, 1 - (b.embedding <=> c.embedding) AS similarity
                FROM reflections b
                WHERE b.embedding IS NOT NULL
                ORDER BY b.embedding <=> c.embedding
                LIMIT @neighbours
            ) n
            -- Vectors of different models are not comparable (a re-embedding may be under way).
            WHERE n.id <> c.id AND n.category = c.category AND n.project IS NOT DISTINCT FROM c.project
              AND n.embedding_model = c.embedding_model
            ORDER BY n.similarity DESC, n.id
            LIMIT 1
        ) n ON true
        ORDER BY c.created_at, c.id
        """;

    private const string LockPairSql =
        """
        SELECT id, project, category, content, tags, metadata::text, created_at
        FROM reflections WHERE id = ANY(@ids) ORDER BY id FOR UPDATE
        """;

    private const string RecordMergeSql =
        """
        INSERT INTO memory_merges (merged_id, survivor_id, run_id, project, category, content, tags, metadata, created_at, similarity)
        SELECT id, @survivor, @run, project, category, content, tags, metadata, created_at, @similarity
        FROM reflections WHERE id = @merged
        ON CONFLICT (merged_id) DO NOTHING;

        UPDATE reflections s SET
            tags = ARRAY(SELECT DISTINCT t FROM unnest(s.tags || m.tags) t ORDER BY t),
            metadata = s.metadata || jsonb_build_object('merged_from',
                CASE WHEN jsonb_typeof(s.metadata -> 'merged_from') = 'array' THEN s.metadata -> 'merged_from' ELSE '[]'::jsonb END
                || jsonb_build_array(jsonb_build_object(
                    'id', m.id, 'content', m.content, 'tags', to_jsonb(m.tags), 'metadata', m.metadata,
                    'created_at', m.created_at, 'similarity', @similarity)))
        FROM reflections m
        WHERE s.id = @survivor AND m.id = @merged
          AND NOT coalesce(s.metadata -> 'merged_from' @> jsonb_build_array(jsonb_build_object('id', m.id)), false);

        INSERT INTO memory_access (memory_id, access_count, last_accessed_at)
        SELECT @survivor, access_count, last_accessed_at FROM memory_access WHERE memory_id = @merged
        ON CONFLICT (memory_id) DO UPDATE SET
            access_count = memory_access.access_count + excluded.access_count,
            last_accessed_at = greatest(memory_access.last_accessed_at, excluded.last_accessed_at);
        DELETE FROM memory_access WHERE memory_id = @merged;
        """;

    private const string UnfinishedMergesSql =
        "SELECT m.merged_id FROM memory_merges m WHERE EXISTS (SELECT 1 FROM reflections r WHERE r.id = m.merged_id)";

    private const string TidySql =
        """
        DELETE FROM memory_access a WHERE NOT EXISTS (SELECT 1 FROM reflections r WHERE r.id = a.memory_id);

        SELECT count(*) FROM reflections r LEFT JOIN memory_access a ON a.memory_id = r.id
        WHERE coalesce(a.last_accessed_at, r.created_at) < now() - make_interval(secs => @stale_seconds);
        """;

    private const string RecordRunSql =
        """
        INSERT INTO memory_optimization_runs (id, trigger, started_at, finished_at, items_checked, duplicates_merged, stale_items, checked_until)
        VALUES (@id, @trigger, @started, @finished, @checked, @merged, @stale, @checked_until)
        """;

    public async Task<MemoryOptimizationReport> RunAsync(string trigger, CancellationToken cancellationToken)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(lockConnection, "SELECT pg_advisory_lock(@key)", cancellationToken);
        try
        {
            return await RunLockedAsync(trigger, cancellationToken);
        }
        finally
        {
            await ExecuteAsync(lockConnection, "SELECT pg_advisory_unlock(@key)", CancellationToken.None);
        }
    }

    private async Task<MemoryOptimizationReport> RunLockedAsync(string trigger, CancellationToken cancellationToken)
    {
        var runId = Guid.CreateVersion7();
        var started = DateTimeOffset.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var since = DateTimeOffset.MinValue;
        await using (var last = new NpgsqlCommand(LastRunSql, connection))
        await using (var reader = await last.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                since = reader.GetFieldValue<DateTimeOffset>(0);
            }
        }

        // Merges interrupted between recording and deleting are finished first.
        var unfinished = new List<Guid>();
        await using (var interrupted = new NpgsqlCommand(UnfinishedMergesSql, connection))
        await using (var reader = await interrupted.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                unfinished.Add(reader.GetGuid(0));
            }
        }
        foreach (var id in unfinished)
        {
            await store.DeleteAsync(id, cancellationToken);
        }

        var (pairs, checkedItems, lastCreated) = await FindPairsAsync(connection, since, null, cancellationToken);
        if (lastCreated == DateTimeOffset.MinValue)
        {
            lastCreated = since;
        }

        // A candidate whose neighbour was merged away meanwhile looks for its next neighbour (a few rounds).
        var merges = new List<MergedMemory>();
        for (var round = 0; round < 3 && pairs.Count > 0; round++)
        {
            var retry = new List<Guid>();
            foreach (var (candidate, neighbour, similarity) in pairs)
            {
                switch (await MergeAsync(connection, runId, candidate, neighbour, similarity, cancellationToken))
                {
                    case { } merged:
                        merges.Add(merged);
                        break;
                    case null when await ExistsAsync(connection, candidate, cancellationToken):
                        retry.Add(candidate);
                        break;
                }
            }
            pairs = retry.Count == 0 ? [] : (await FindPairsAsync(connection, since, retry, cancellationToken)).Pairs;
        }

        long stale;
        await using (var tidy = new NpgsqlCommand(TidySql, connection))
        {
            tidy.Parameters.AddWithValue("stale_seconds", options.StaleAfterDays * 86_400);
            stale = (long)(await tidy.ExecuteScalarAsync(cancellationToken))!;
        }

        // A full batch continues where it stopped; otherwise the next run re-checks the commit margin.
        var checkedUntil = checkedItems >= options.BatchSize ? lastCreated : Max(since, started - CommitMargin);
        var finished = DateTimeOffset.UtcNow;
        await using (var record = new NpgsqlCommand(RecordRunSql, connection))
        {
            record.Parameters.AddWithValue("id", runId);
            record.Parameters.AddWithValue("trigger", trigger);
            record.Parameters.AddWithValue("started", started);
            record.Parameters.AddWithValue("finished", finished);
            record.Parameters.AddWithValue("checked", checkedItems);
            record.Parameters.AddWithValue("merged", (long)merges.Count);
            record.Parameters.AddWithValue("stale", stale);
            record.Parameters.AddWithValue("checked_until", checkedUntil == DateTimeOffset.MinValue ? started - CommitMargin : checkedUntil);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        LogRun(trigger, checkedItems, merges.Count, stale);
        return new MemoryOptimizationReport(runId, trigger, started, finished, checkedItems, merges.Count, merges, stale);
    }

    private async Task<(List<(Guid Candidate, Guid Neighbour, double Similarity)> Pairs, long Checked, DateTimeOffset LastCreated)> FindPairsAsync(
        NpgsqlConnection connection, DateTimeOffset since, IReadOnlyList<Guid>? ids, CancellationToken cancellationToken)
    {
        var pairs = new List<(Guid, Guid, double)>();
        long checkedItems = 0;
        var lastCreated = DateTimeOffset.MinValue;
        await using var neighbours = new NpgsqlCommand(NeighboursSql, connection) { CommandTimeout = 0 }; // background work, as long as it takes
        neighbours.Parameters.AddWithValue("neighbours", 20);
        neighbours.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz)
        {
            Value = since == DateTimeOffset.MinValue ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc) : since.UtcDateTime,
        });
        neighbours.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = (object?)ids?.ToArray() ?? DBNull.Value });
        neighbours.Parameters.AddWithValue("excluded", options.ExcludedCategories);
        neighbours.Parameters.AddWithValue("batch", options.BatchSize);
        await using var reader = await neighbours.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkedItems++;
            lastCreated = reader.GetFieldValue<DateTimeOffset>(1);
            if (!reader.IsDBNull(2) && reader.GetDouble(3) >= options.SimilarityThreshold)
            {
                pairs.Add((reader.GetGuid(0), reader.GetGuid(2), reader.GetDouble(3)));
            }
        }
        return (pairs, checkedItems, lastCreated);
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, Guid id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM reflections WHERE id = @id)", connection);
        command.Parameters.AddWithValue("id", id);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Merges the newer of the two into the older, if both still exist.</summary>
    private async Task<MergedMemory?> MergeAsync(
        NpgsqlConnection connection, Guid runId, Guid first, Guid second, double similarity, CancellationToken cancellationToken)
    {
        MergedMemory merged;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var rows = new List<(Guid Id, string? Project, string Category, DateTimeOffset CreatedAt)>();
            await using (var lockPair = new NpgsqlCommand(LockPairSql, connection, transaction))
            {
                lockPair.Parameters.AddWithValue("ids", new[] { first, second });
                await using var reader = await lockPair.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(6)));
                }
            }
            if (rows.Count < 2)
            {
                return null; // one of them was merged or deleted meanwhile
            }
            var ordered = rows.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).ToList();
            var survivor = ordered[0];
            var gone = ordered[1];
            await using (var record = new NpgsqlCommand(RecordMergeSql, connection, transaction))
            {
                record.Parameters.AddWithValue("survivor", survivor.Id);
                record.Parameters.AddWithValue("merged", gone.Id);
                record.Parameters.AddWithValue("run", runId);
                record.Parameters.AddWithValue("similarity", similarity);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            merged = new MergedMemory(gone.Id, survivor.Id, similarity, gone.Category, gone.Project);
        }
        // After the survivor holds its content; a crash before this delete is finished by the next run.
        await store.DeleteAsync(merged.MergedId, cancellationToken);
        return merged;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("key", RunLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(LogLevel.Information, "Memory optimisation ({Trigger}): {Checked} checked, {Merged} near-duplicates merged, {Stale} stale")]
    private partial void LogRun(string trigger, long @checked, int merged, long stale);
}
