using Npgsql;

namespace SessionBuddy.Memory.Search;

/// <summary>
/// Runs a ranking query behind the transaction-local setting it needs, in one round trip: one batch is one
/// implicit transaction, so the setting applies to the query and ends with it.
/// </summary>
internal static class RankingBatch
{
    /// <summary>Runs <paramref name="settings"/> then <paramref name="ranking"/> and reads the (id, score) rows of the latter.</summary>
    public static async Task<List<RankedId>> ReadAsync(
        NpgsqlConnection connection, NpgsqlBatchCommand settings, NpgsqlBatchCommand ranking, int limit, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(settings);
        batch.BatchCommands.Add(ranking);

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
