using Npgsql;
using NpgsqlTypes;

namespace SessionBuddy.Memory.Search;

/// <summary>
/// Keyword ranking with Okapi BM25 (k1 = 0.9, b = 0.4) over OR-matched query terms, computed in
/// PostgreSQL from the postings and statistics the store maintains: one posting per lexeme and reflection
/// with its count and the document length (<c>reflection_postings</c>), document frequency and per-term
/// bounds (<c>reflection_terms</c>), corpus size and length (<c>reflection_corpus</c>). Text is analysed by
/// the <c>english</c> configuration (Snowball stemming, stop-words) on both sides.
/// </summary>
/// <remarks>
/// MaxScore pruning, exact: only the rarest terms whose postings add up to the candidate budget select
/// candidates (an index-only scan of their postings); the left-out terms are then looked up (one index
/// probe each) only for candidates that could still reach the top k, i.e. whose partial score plus the
/// left-out terms' upper bounds reaches the k-th best partial score. A term's upper bound is its BM25
/// contribution at its largest count in its shortest document. The result is exact when the k-th score
/// beats what the left-out terms could add together (a document matching none of the selecting terms);
/// otherwise the budget grows fourfold and the query is rerun with the next rarest terms also selecting.
/// </remarks>
public sealed class Bm25Ranking(NpgsqlDataSource dataSource, long candidateBudget = Bm25Ranking.DefaultCandidateBudget)
{
    public const double K1 = 0.9;
    public const double B = 0.4;
    public const long DefaultCandidateBudget = 4_000;

    private const string TermStatsSql =
        """
        SELECT u.lexeme, t.df, t.max_tf, t.min_doc_length
        FROM unnest(to_tsvector('english', @query)) u
        JOIN reflection_terms t ON t.term = u.lexeme
        WHERE t.df > 0
        """;

    private const string CorpusStatsSql =
        "SELECT coalesce(sum(doc_count), 0)::bigint, coalesce(sum(total_length), 0)::bigint FROM reflection_corpus";

    private const string Contribution = "t.idf * p.tf * (@k1 + 1) / (p.tf + @k1 * (1 - @b + @b * p.doc_length / @avgdl))";

    // Candidates and their partial scores from the selecting terms' postings (project and category are on
    // the postings); filters that need the row join the reflection.
    private const string CandidatesSql =
        $"""
        WITH terms AS (SELECT * FROM unnest(@terms::text[], @idfs::float8[], @selects::bool[]) AS q(term, idf, selects)),
        candidates AS MATERIALIZED (
            SELECT p.reflection_id AS id, sum({Contribution}) AS partial
            FROM terms t
            JOIN reflection_postings p ON p.term = t.term
            WHERE t.selects AND {SearchFilter.PostingSql}
            GROUP BY p.reflection_id
        ),
        """;

    private const string ScoreTailSql =
        $"""
        threshold AS (
            SELECT coalesce((SELECT partial FROM filtered ORDER BY partial DESC OFFSET @limit - 1 LIMIT 1), 0) AS partial
        )
        SELECT c.id, c.partial + coalesce(rest.score, 0) AS score
        FROM filtered c
        CROSS JOIN threshold
        CROSS JOIN LATERAL (
            SELECT sum({Contribution}) AS score
            FROM terms t
            JOIN reflection_postings p ON p.term = t.term AND p.reflection_id = c.id
            WHERE NOT t.selects
        ) rest
        WHERE c.partial + @rest_bound >= threshold.partial
        ORDER BY score DESC, c.id
        LIMIT @limit
        """;

    private const string ScoreSql = CandidatesSql + "filtered AS (SELECT * FROM candidates),\n" + ScoreTailSql;

    private const string ScoreRowsSql =
        CandidatesSql +
        $"""
        filtered AS MATERIALIZED (
            SELECT c.* FROM candidates c JOIN reflections r ON r.id = c.id WHERE {SearchFilter.Sql}
        ),

        """ + ScoreTailSql;

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
            .Select(t =>
            {
                var idf = Math.Log(1 + (documents - t.Df + 0.5) / (t.Df + 0.5));
                return new WeightedTerm(t.Term, t.Df, idf, UpperBound(idf, t.MaxTf, t.MinDocLength, averageLength));
            })
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

            // What a document can gain from the left-out terms together (a little slack for rounding).
            var restBound = weighted.Skip(selecting).Sum(t => t.UpperBound) * (1 + 1e-9);
            var ranked = await ScoreAsync(connection, weighted, selecting, restBound, averageLength, filter, limit, cancellationToken);
            if (selecting == weighted.Count || (ranked.Count == limit && ranked[^1].Score > restBound))
            {
                return ranked;
            }
        }
    }

    /// <summary>
    /// The most one term can add to a document's score: its BM25 contribution at the largest count it has
    /// in any document and the length of the shortest document containing it (the contribution grows with
    /// the count and shrinks with the length).
    /// </summary>
    public static double UpperBound(double idf, int maxTf, int minDocLength, double averageLength)
    {
        double tf = maxTf;
        return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * minDocLength / averageLength));
    }

    private static async Task<(List<(string Term, long Df, int MaxTf, int MinDocLength)> Terms, long Documents, long TotalLength)> ReadStatisticsAsync(
        NpgsqlConnection connection, string query, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new NpgsqlBatchCommand(TermStatsSql), new NpgsqlBatchCommand(CorpusStatsSql) },
        };
        batch.BatchCommands[0].Parameters.AddWithValue("query", query);

        var terms = new List<(string, long, int, int)>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            terms.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt32(3)));
        }
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (terms, reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task<List<RankedId>> ScoreAsync(
        NpgsqlConnection connection,
        IReadOnlyList<WeightedTerm> terms,
        int selecting,
        double restBound,
        double averageLength,
        SearchFilter filter,
        int limit,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(filter.NeedsRows ? ScoreRowsSql : ScoreSql, connection);
        command.Parameters.AddWithValue("terms", terms.Select(t => t.Term).ToArray());
        command.Parameters.AddWithValue("idfs", terms.Select(t => t.Idf).ToArray());
        command.Parameters.AddWithValue("selects", terms.Select((_, i) => i < selecting).ToArray());
        command.Parameters.AddWithValue("k1", K1);
        command.Parameters.AddWithValue("b", B);
        command.Parameters.AddWithValue("avgdl", averageLength);
        command.Parameters.AddWithValue("rest_bound", restBound);
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

    private sealed record WeightedTerm(string Term, long Df, double Idf, double UpperBound);
}
