using Npgsql;

namespace SessionBuddy.Memory.Memories;

/// <summary>
/// Search hits per memory (access counts and last use), which optimisation uses to decay and report
/// stale items. Best effort: a failure to record is logged, never a failed search.
/// </summary>
public sealed partial class MemoryAccess(NpgsqlDataSource dataSource, ILogger<MemoryAccess> logger)
{
    // Sorted ids so concurrent searches lock shared rows in one order.
    private const string RecordSql =
        """
        INSERT INTO memory_access (memory_id, access_count, last_accessed_at)
        SELECT id, 1, now() FROM unnest(@ids) AS i(id) ORDER BY id
        ON CONFLICT (memory_id) DO UPDATE
        SET access_count = memory_access.access_count + 1, last_accessed_at = excluded.last_accessed_at
        """;

    private const string ReadSql =
        """
        SELECT r.id, r.category, coalesce(a.access_count, 0)
        FROM reflections r LEFT JOIN memory_access a ON a.memory_id = r.id
        WHERE r.id = ANY(@ids)
        """;

    public async Task RecordAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }
        try
        {
            await using var command = dataSource.CreateCommand(RecordSql);
            command.Parameters.AddWithValue("ids", ids.Distinct().Order().ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogNotRecorded(ids.Count, ex);
        }
    }

    /// <summary>Category and access count (before this search) of each id that still exists.</summary>
    public async Task<IReadOnlyDictionary<Guid, (string Category, long AccessCount)>> ReadAsync(
        IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, (string, long)>(ids.Count);
        if (ids.Count == 0)
        {
            return result;
        }
        await using var command = dataSource.CreateCommand(ReadSql);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetGuid(0)] = (reader.GetString(1), reader.GetInt64(2));
        }
        return result;
    }

    /// <summary>The item that absorbed <paramref name="id"/> in a near-duplicate merge, following chains of merges.</summary>
    public async Task<Guid?> MergedIntoAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH RECURSIVE chain(id, depth) AS (
                SELECT survivor_id, 1 FROM memory_merges WHERE merged_id = @id
                UNION ALL
                SELECT m.survivor_id, c.depth + 1 FROM memory_merges m JOIN chain c ON m.merged_id = c.id WHERE c.depth < 20
            )
            SELECT id FROM chain ORDER BY depth DESC LIMIT 1
            """);
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    [LoggerMessage(LogLevel.Warning, "Could not record search hits of {Count} memories")]
    private partial void LogNotRecorded(int count, Exception exception);
}
