using Npgsql;
using NpgsqlTypes;

namespace SessionBuddy.Memory.Search;

/// <summary>
/// Keyword ranking with Okapi BM25 (k1 = 0.9, b = 0.4) over OR-matched query terms, computed in
/// PostgreSQL from the statistics the store maintains: document frequency per lexeme
/// (<c>reflection_terms</c>), corpus size and length (<c>reflection_corpus</c>), term counts and length
/// per document. Text is analysed by the <c>english</c> configuration (Snowball stemming, stop-words)
/// on both sides.
/// </summary>
/// <remarks>
/// Candidates come from the GIN index. To keep common terms from pulling in most of the corpus, only the
/// rarest terms whose document frequencies add up to the candidate budget select candidates (all
/// terms still score them). That is exact whenever the k-th score beats the most the left-out terms could
/// add together (MaxScore pruning); otherwise the budget grows fourfold and the query is rerun with the
/// next rarest terms also selecting, until the bound holds or every term selects.
/// </remarks>
public sealed class Bm25Ranking(NpgsqlDataSource dataSource, long candidateBudget = Bm25Ranking.DefaultCandidateBudget)
{
    public const double K1 = 0.9;
    public const double B = 0.4;
    public const long DefaultCandidateBudget = 4_000;

    private const string TermStatsSql =
        """
        SELECT u.lexeme, t.df
        FROM unnest(to_tsvector('english', @query)) u
        JOIN reflection_terms t ON t.term = u.lexeme
        WHERE t.df > 0
        """;

    private const string CorpusStatsSql =
        "SELECT coalesce(sum(doc_count), 0)::bigint, coalesce(sum(total_length), 0)::bigint FROM reflection_corpus";

    private const string ScoreSql =
        $"""
        WITH terms AS (SELECT * FROM unnest(@terms::text[], @idfs::float8[]) AS q(term, idf))
        SELECT r.id, sum(t.idf * x.tf * (@k1 + 1) / (x.tf + @k1 * (1 - @b + @b * r.doc_length / @avgdl))) AS score
        FROM reflections r
        CROSS JOIN terms t
        CROSS JOIN LATERAL (SELECT (r.term_counts ->> t.term)::float8 AS tf) x
        WHERE r.search_vector @@ @candidates::tsquery
          AND x.tf IS NOT NULL
          AND {SearchFilter.Sql}
        GROUP BY r.id
        ORDER BY score DESC, r.id
        LIMIT @limit
        """;

    public async Task<IReadOnlyList<RankedId>> RankAsync(string query, SearchFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var (terms, documents, totalLength) = await ReadStatisticsAsync(connection, query, cancellationToken);
        if (terms.Count == 0 || documents == 0)
        {
            return [];
        }
        var averageLength = Math.Max(1.0, (double)totalLength / documents);
        var weighted = terms
            .Select(t => (t.Term, t.Df, Idf: Math.Log(1 + (documents - t.Df + 0.5) / (t.Df + 0.5))))
            .OrderBy(t => t.Df)
            .ToList();

        // The rarest terms select candidates until their postings reach the budget. When the k-th score
        // does not yet beat what the left-out terms could add, the budget grows fourfold and the next
        // rarest terms join, instead of falling back to every term at once.
        var selecting = 0;
        long postings = 0;
        for (var budget = candidateBudget; ; budget = budget > long.MaxValue / 4 ? long.MaxValue : budget * 4)
        {
            var before = selecting;
            while (selecting < weighted.Count && (selecting == before || postings + weighted[selecting].Df <= budget))
            {
                postings += weighted[selecting].Df;
                selecting++;
            }

            var ranked = await ScoreAsync(connection, weighted, weighted.Take(selecting).Select(t => t.Term), averageLength, filter, limit, cancellationToken);
            if (selecting == weighted.Count)
            {
                return ranked;
            }
            // A document matching none of the selecting terms scores at most the left-out terms' ceilings.
            var ceiling = weighted.Skip(selecting).Sum(t => t.Idf * (K1 + 1));
            if (ranked.Count == limit && ranked[^1].Score >= ceiling)
            {
                return ranked;
            }
        }
    }

    private static async Task<(List<(string Term, long Df)> Terms, long Documents, long TotalLength)> ReadStatisticsAsync(
        NpgsqlConnection connection, string query, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new NpgsqlBatchCommand(TermStatsSql), new NpgsqlBatchCommand(CorpusStatsSql) },
        };
        batch.BatchCommands[0].Parameters.AddWithValue("query", query);

        var terms = new List<(string, long)>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            terms.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (terms, reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<List<RankedId>> ScoreAsync(
        NpgsqlConnection connection,
        IReadOnlyList<(string Term, long Df, double Idf)> terms,
        IEnumerable<string> selecting,
        double averageLength,
        SearchFilter filter,
        int limit,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(ScoreSql, connection);
        command.Parameters.AddWithValue("terms", terms.Select(t => t.Term).ToArray());
        command.Parameters.AddWithValue("idfs", terms.Select(t => t.Idf).ToArray());
        command.Parameters.AddWithValue("k1", K1);
        command.Parameters.AddWithValue("b", B);
        command.Parameters.AddWithValue("avgdl", averageLength);
        command.Parameters.Add(new NpgsqlParameter("candidates", NpgsqlDbType.Text) { Value = OrQuery(selecting) });
        command.Parameters.AddWithValue("limit", limit);
        filter.AddParameters(command.Parameters);

        var ranked = new List<RankedId>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ranked.Add(new RankedId(reader.GetGuid(0), reader.GetDouble(1)));
        }
        return ranked;
    }

    /// <summary>Already-stemmed lexemes as a tsquery text, quoted so they are taken literally: 'a' | 'b'.</summary>
    private static string OrQuery(IEnumerable<string> lexemes) =>
        string.Join(" | ", lexemes.Select(l => "'" + l.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'"));
}
