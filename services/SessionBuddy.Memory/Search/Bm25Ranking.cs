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
/// Exact unless a <see cref="Bm25Approximation"/> is given and the query's terms have more postings than its
/// budget: then candidates come from the rarest terms only and the best of them are ranked by full BM25
/// (see there; the Memory service turns it on for large stores, Memory:KeywordCandidatePostings). The exact
/// path uses MaxScore pruning. Scoring reads postings index-only; the work is how many it reads. First a floor under the k-th score is found: the candidates of the rarest terms
/// (postings within the candidate budget), the best k of them fully scored. Then the commonest terms whose
/// upper bounds (a term's contribution at its largest count in its shortest document) add up to less
/// than the floor are left out of candidate selection: a document matching only those cannot reach the top
/// k. The other terms' postings give the candidates and partial scores; the left-out terms are looked up
/// (one probe of the per-reflection index) only for candidates that can still place: the k best by partial
/// score, and those whose partial score plus the left-out bounds reaches the k-th full score of those.
/// When probing would cost more than reading the left-out postings, every term's postings are scored.
/// Tried on 100,000 reflections and not faster: impact-ordered
/// postings (weight at a fixed reference length, index on (term, weight DESC)) with Fagin's threshold rounds,
/// with a cost-chosen MaxScore over prefix bounds, and as a source of a higher floor; and summing postings in
/// the client. With k1 0.9, b 0.4 and documents of a few sentences nearly every posting has tf 1, so weights
/// are flat: a term's frontier bound fell only ~20% from its 256th to its 1,024th posting, the k-th score stayed
/// below the sum of the unread bounds until most lists were read, and every extra term left out multiplied the
/// per-candidate probes (measured at ~30-60 us each under load), which cost more than the postings saved.
/// </remarks>
public sealed class Bm25Ranking(
    NpgsqlDataSource dataSource,
    long candidateBudget = Bm25Ranking.DefaultCandidateBudget,
    long probeCost = Bm25Ranking.DefaultProbeCost,
    Bm25Approximation? approximation = null)
{
    public const double K1 = 0.9;
    public const double B = 0.4;
    public const long DefaultCandidateBudget = 4_000;

    // Cost of looking a candidate's left-out terms up, in scanned postings (measured: one probe reads the
    // reflection's ~50 postings; a scanned posting is one index tuple plus its share of the aggregation).
    public const long DefaultProbeCost = 8;

    private const string TermStatsSql =
        """
        SELECT u.lexeme, t.df, t.max_tf, t.min_doc_length
        FROM unnest(to_tsvector('english', @query)) u
        JOIN reflection_terms t ON t.term = u.lexeme
        WHERE t.df > 0
        """;

    private const string CorpusStatsSql =
        "SELECT coalesce(sum(doc_count), 0)::bigint, coalesce(sum(total_length), 0)::bigint FROM reflection_corpus";

    private const string WorkMemSql = "SELECT set_config('work_mem', '64MB', true)";

    private const string Contribution = "t.idf * p.tf * (@k1 + 1) / (p.tf + @k1 * (1 - @b + @b * p.doc_length / @avgdl))";

    // Candidates and their partial scores from the selecting terms' postings (project and category are on
    // the postings); filters that need the row join the reflection.
    private const string CandidatesSql =
        $"""
        WITH candidates AS MATERIALIZED (
            SELECT p.reflection_id AS id, sum({Contribution}) AS partial
            FROM unnest(@terms::text[], @idfs::float8[]) AS t(term, idf)
            JOIN reflection_postings p ON p.term = t.term
            WHERE {SearchFilter.PostingSql}
            GROUP BY p.reflection_id
        ),
        """;

    // What the left-out terms add to candidate c: one probe of the per-reflection postings index.
    // The best `limit` candidates by partial score are scored fully first; the k-th of those full scores is
    // a lower bound of the final k-th score, so any other candidate whose partial score plus the left-out
    // terms' bounds falls below it cannot place and is never looked up.
    private const string RestScore =
        """
        CASE WHEN cardinality(@rest_terms::text[]) = 0 THEN 0 ELSE coalesce((
            SELECT sum((@rest_idfs::float8[])[array_position(@rest_terms::text[], p.term)]
                       * p.tf * (@k1 + 1) / (p.tf + @k1 * (1 - @b + @b * p.doc_length / @avgdl)))
            FROM reflection_postings p
            WHERE p.reflection_id = c.id AND p.term = ANY(@rest_terms::text[])), 0) END
        """;

    private const string ScoreTailSql =
        $"""
        leaders AS MATERIALIZED (
            SELECT c.id, c.partial + {RestScore} AS score
            FROM (SELECT * FROM filtered ORDER BY partial DESC, id LIMIT @limit) c
        ),
        threshold AS (
            SELECT CASE WHEN count(*) = @limit THEN min(score) ELSE 0 END AS score FROM leaders
        ),
        others AS (
            SELECT c.id, c.partial + {RestScore} AS score
            FROM filtered c
            CROSS JOIN threshold
            WHERE c.partial + @rest_bound >= threshold.score
              AND c.id NOT IN (SELECT id FROM leaders)
        )
        SELECT id, score FROM leaders
        UNION ALL
        SELECT id, score FROM others
        ORDER BY score DESC, id
        LIMIT @limit
        """;

    // Every term selecting, nothing to look up: the plain top k of the aggregate.
    private const string ExhaustiveSql =
        $"""
        SELECT p.reflection_id, sum({Contribution}) AS score
        FROM unnest(@terms::text[], @idfs::float8[]) AS t(term, idf)
        JOIN reflection_postings p ON p.term = t.term
        WHERE {SearchFilter.PostingSql}
        GROUP BY p.reflection_id
        ORDER BY score DESC, p.reflection_id
        LIMIT @limit
        """;

    private const string ExhaustiveRowsSql =
        CandidatesSql +
        $"""
        filtered AS (
            SELECT c.* FROM candidates c JOIN reflections r ON r.id = c.id WHERE {SearchFilter.Sql}
        )
        SELECT id, partial FROM filtered
        ORDER BY partial DESC, id
        LIMIT @limit
        """;

    // What the tails below rank: the candidates as they are, or (when a filter needs the row) those of them
    // whose reflection passes the filter.
    private const string CandidatesOnlySql = CandidatesSql + "filtered AS (SELECT * FROM candidates),\n";

    private const string CandidateRowsSql =
        CandidatesSql +
        $"""
        filtered AS MATERIALIZED (
            SELECT c.* FROM candidates c JOIN reflections r ON r.id = c.id WHERE {SearchFilter.Sql}
        ),

        """;

    // The k-th best full score among the best k candidates by partial score, or null with fewer than k.
    private const string FloorTailSql =
        $"""
        leaders AS (
            SELECT c.partial + {RestScore} AS score
            FROM (SELECT * FROM filtered ORDER BY partial DESC, id LIMIT @limit) c
        )
        SELECT CASE WHEN count(*) = @limit THEN min(score) END FROM leaders
        """;

    private const string FloorSql = CandidatesOnlySql + FloorTailSql;

    private const string FloorRowsSql = CandidateRowsSql + FloorTailSql;

    // Approximate: the rarest terms' candidates, the best @pool of them by partial score fully scored.
    private const string RescoreTailSql =
        $"""
        pool AS (SELECT * FROM filtered ORDER BY partial DESC, id LIMIT @pool)
        SELECT c.id, c.partial + {RestScore} AS score FROM pool c
        ORDER BY score DESC, id
        LIMIT @limit
        """;

    private const string RescoreSql = CandidatesOnlySql + RescoreTailSql;

    private const string RescoreRowsSql = CandidateRowsSql + RescoreTailSql;

    private const string ScoreSql = CandidatesOnlySql + ScoreTailSql;

    private const string ScoreRowsSql = CandidateRowsSql + ScoreTailSql;

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

        var allPostings = weighted.Sum(t => t.Df);
        if (approximation is { Enabled: true } a && allPostings > a.CandidatePostings)
        {
            return await RescoreAsync(connection, weighted, a, averageLength, filter, limit, cancellationToken);
        }
        if (allPostings <= candidateBudget)
        {
            return await ScoreAsync(connection, weighted, weighted.Count, 0, averageLength, filter, limit, cancellationToken);
        }

        // A floor under the k-th score: the best candidates of the rarest terms (postings within the budget,
        // growing fourfold while they yield fewer than k candidates), fully scored.
        double? floor = null;
        var probing = 0;
        long postings = 0;
        for (var budget = candidateBudget; floor is null && probing < weighted.Count; budget = budget > long.MaxValue / 4 ? long.MaxValue : budget * 4)
        {
            var before = probing;
            while (probing < weighted.Count && (probing == before || postings + weighted[probing].Df <= budget))
            {
                postings += weighted[probing].Df;
                probing++;
            }
            floor = await ReadFloorAsync(connection, weighted, probing, averageLength, filter, limit, cancellationToken);
        }

        // MaxScore split: the commonest terms whose bounds add up to less than the floor cannot lift a document
        // that matches none of the others into the top k, so only the others select candidates.
        var selecting = weighted.Count;
        double restBound = 0;
        while (floor is { } f && selecting > 1 && (restBound + weighted[selecting - 1].UpperBound) * (1 + 1e-9) < f)
        {
            restBound += weighted[selecting - 1].UpperBound;
            selecting--;
        }
        // Each candidate the left-out terms are looked up for costs about probeCost scanned postings: when
        // that exceeds scanning those terms' postings, scoring every posting is cheaper.
        var selectingPostings = weighted.Take(selecting).Sum(t => t.Df);
        var leftOutPostings = allPostings - selectingPostings;
        if (selectingPostings * probeCost > leftOutPostings)
        {
            (selecting, restBound) = (weighted.Count, 0);
        }
        return await ScoreAsync(connection, weighted, selecting, restBound * (1 + 1e-9), averageLength, filter, limit, cancellationToken);
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
        var command = new NpgsqlBatchCommand(filter.Apply(
            (selecting == terms.Count, filter.NeedsRows) switch
            {
                (true, false) => ExhaustiveSql,
                (true, true) => ExhaustiveRowsSql,
                (false, false) => ScoreSql,
                (false, true) => ScoreRowsSql,
            }));
        AddParameters(command.Parameters, terms, selecting, averageLength, filter, limit);
        command.Parameters.AddWithValue("rest_bound", restBound);
        return await ReadRankedAsync(connection, command, limit, cancellationToken);
    }

    /// <summary>Runs a ranking query with room to aggregate in memory and reads its (id, score) rows.</summary>
    private static Task<List<RankedId>> ReadRankedAsync(
        NpgsqlConnection connection, NpgsqlBatchCommand command, int limit, CancellationToken cancellationToken) =>
        // Aggregating tens of thousands of candidates stays in memory instead of spilling to disk.
        RankingBatch.ReadAsync(connection, new NpgsqlBatchCommand(WorkMemSql), command, limit, cancellationToken);

    /// <summary>
    /// The approximate path (<see cref="Bm25Approximation"/>): candidates from the rarest terms, taken in
    /// ascending document frequency while their postings fit the budget (always at least the rarest term);
    /// the best of them by that partial score are looked up for the remaining terms and ranked by their
    /// full BM25 score.
    /// </summary>
    private static async Task<List<RankedId>> RescoreAsync(
        NpgsqlConnection connection,
        IReadOnlyList<WeightedTerm> terms,
        Bm25Approximation approximation,
        double averageLength,
        SearchFilter filter,
        int limit,
        CancellationToken cancellationToken)
    {
        var selecting = 0;
        long postings = 0;
        while (selecting < terms.Count && (selecting == 0 || postings + terms[selecting].Df <= approximation.CandidatePostings))
        {
            postings += terms[selecting].Df;
            selecting++;
        }

        var command = new NpgsqlBatchCommand(filter.Apply(filter.NeedsRows ? RescoreRowsSql : RescoreSql));
        AddParameters(command.Parameters, terms, selecting, averageLength, filter, limit);
        command.Parameters.AddWithValue("pool", Math.Max(approximation.RescoredCandidates, approximation.RescoredPerResult * limit));
        return await ReadRankedAsync(connection, command, limit, cancellationToken);
    }

    /// <summary>The k-th best full score among the candidates of the first <paramref name="selecting"/> terms, or null with fewer than k.</summary>
    private static async Task<double?> ReadFloorAsync(
        NpgsqlConnection connection,
        IReadOnlyList<WeightedTerm> terms,
        int selecting,
        double averageLength,
        SearchFilter filter,
        int limit,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(filter.Apply(filter.NeedsRows ? FloorRowsSql : FloorSql), connection);
        AddParameters(command.Parameters, terms, selecting, averageLength, filter, limit);
        return await command.ExecuteScalarAsync(cancellationToken) is double floor ? floor : null;
    }

    private static void AddParameters(
        NpgsqlParameterCollection parameters, IReadOnlyList<WeightedTerm> terms, int selecting, double averageLength, SearchFilter filter, int limit)
    {
        parameters.AddWithValue("terms", terms.Take(selecting).Select(t => t.Term).ToArray());
        parameters.AddWithValue("idfs", terms.Take(selecting).Select(t => t.Idf).ToArray());
        parameters.AddWithValue("rest_terms", terms.Skip(selecting).Select(t => t.Term).ToArray());
        parameters.AddWithValue("rest_idfs", terms.Skip(selecting).Select(t => t.Idf).ToArray());
        parameters.AddWithValue("k1", K1);
        parameters.AddWithValue("b", B);
        parameters.AddWithValue("avgdl", averageLength);
        parameters.AddWithValue("limit", limit);
        filter.AddParameters(parameters);
    }

    private sealed record WeightedTerm(string Term, long Df, double Idf, double UpperBound);
}

/// <summary>
/// Settings of keyword search's stated approximation (Memory:KeywordCandidatePostings and
/// Memory:KeywordRescoredCandidates). A query whose terms have more postings in all than
/// <see cref="CandidatePostings"/> takes its candidates only from its rarest terms (ascending document
/// frequency, while their postings fit that budget), and fully scores the best
/// max(<see cref="RescoredCandidates"/>, <see cref="RescoredPerResult"/> × limit) of them by their partial
/// score. What it returns carries exact BM25 scores; what it can miss is a document that matches none of
/// the rare terms, or too few of them to be among the rescored. Queries within the budget, and every
/// query with <see cref="CandidatePostings"/> 0, are ranked exactly.
/// </summary>
public sealed record Bm25Approximation(long CandidatePostings, int RescoredCandidates, int RescoredPerResult = 2)
{
    public bool Enabled => CandidatePostings > 0;
}
