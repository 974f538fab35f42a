using Npgsql;

namespace SessionBuddy.Memory.Embeddings;

/// <summary>
/// Re-embedding: brings every reflection to a vector of the configured model, after the model changed
/// (or the reflection was stored while the provider was down). A job is a row in <c>reembedding_jobs</c>;
/// the work is committed batch by batch, each row locked while it is embedded (<c>SKIP LOCKED</c>, so
/// replicas share the work), so a killed process leaves only finished batches behind and the next one
/// resumes from the rows themselves. Search stays available throughout: it compares only vectors of the
/// configured model, and a reflection not yet re-embedded is found by keyword.
/// </summary>
public sealed class Reembedding(NpgsqlDataSource dataSource, ReflectionEmbedder embedder)
{
    public const int BatchSize = 64;

    private const string ModelIdSql = "(SELECT id FROM embedding_models WHERE name = @model)";

    // Rows without a vector of the model: two index ranges and the NULLs (<> alone is not indexable).
    private const string StaleSql =
        "(r.embedding_model IS NULL OR r.embedding_model < m.id OR r.embedding_model > m.id)";

    internal const string OpenSql =
        $"""
        INSERT INTO reembedding_jobs (id, model, total)
        SELECT @id, m.id, (SELECT count(*) FROM reflections r WHERE {StaleSql})
        FROM embedding_models m WHERE m.name = @model
          AND EXISTS (SELECT 1 FROM reflections r WHERE {StaleSql})
        ON CONFLICT (model) WHERE finished_at IS NULL DO NOTHING
        """;

    private const string ProgressSql =
        $"""
        SELECT j.id, j.requested_at, j.total, j.finished_at
        FROM reembedding_jobs j WHERE j.model = {ModelIdSql}
        ORDER BY j.finished_at IS NULL DESC, j.requested_at DESC LIMIT 1;

        SELECT count(*) FROM reflections r, embedding_models m WHERE m.name = @model AND {StaleSql};

        SELECT coalesce(m.name, 'none'), count(*) FROM reflections r LEFT JOIN embedding_models m ON m.id = r.embedding_model
        GROUP BY 1 ORDER BY 2 DESC, 1;
        """;

    private const string HasOpenJobSql =
        $"SELECT EXISTS (SELECT 1 FROM reembedding_jobs WHERE model = {ModelIdSql} AND finished_at IS NULL)";

    private const string TakeBatchSql =
        $"""
        SELECT r.id, r.content, r.category FROM reflections r, embedding_models m
        WHERE m.name = @model AND {StaleSql}
        ORDER BY r.id LIMIT @batch
        FOR UPDATE OF r SKIP LOCKED
        """;

    private const string UpdateSql =
        $"""
        UPDATE reflections r
        SET embedding = (@embeddings::real[])[(u.ord - 1) * @dimensions + 1 : u.ord * @dimensions]::vector,
            embedding_model = {ModelIdSql}
        FROM unnest(@ids::uuid[]) WITH ORDINALITY AS u(id, ord)
        WHERE r.id = u.id
        """;

    // Finished when no row is left, locked or not (a batch under way elsewhere still counts).
    private const string FinishSql =
        $"""
        UPDATE reembedding_jobs j SET finished_at = clock_timestamp()
        FROM embedding_models m
        WHERE j.model = m.id AND m.name = @model AND j.finished_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM reflections r WHERE {StaleSql})
        """;

    public string Model => embedder.Settings.Key;

    /// <summary>Opens a job for the configured model unless one is open or nothing needs re-embedding.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(OpenSql);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7());
        command.Parameters.AddWithValue("model", Model);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> HasOpenJobAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(HasOpenJobSql);
        command.Parameters.AddWithValue("model", Model);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Re-embeds one batch in one transaction. Returns the rows done: 0 when none was left to take (the
    /// job is then marked finished if no other worker holds rows). Throws
    /// <see cref="EmbeddingUnavailableException"/> when the provider cannot embed; nothing is changed then.
    /// </summary>
    public async Task<int> RunBatchAsync(CancellationToken cancellationToken, int batchSize = BatchSize)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = new List<Guid>(BatchSize);
        var contents = new List<string>(BatchSize);
        await using (var take = new NpgsqlCommand(TakeBatchSql, connection, transaction))
        {
            take.Parameters.AddWithValue("model", Model);
            take.Parameters.AddWithValue("batch", batchSize);
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
                contents.Add(EmbeddedText.Of(reader.GetString(2), reader.GetString(1)));
            }
        }

        if (ids.Count == 0)
        {
            await using var finish = new NpgsqlCommand(FinishSql, connection, transaction);
            finish.Parameters.AddWithValue("model", Model);
            await finish.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }

        var embedded = await embedder.EmbedAsync(contents, cancellationToken);
        if (embedded.Vectors is not { } vectors)
        {
            throw new EmbeddingUnavailableException(embedded.Warning ?? "no vectors");
        }
        await using (var update = new NpgsqlCommand(UpdateSql, connection, transaction))
        {
            update.Parameters.AddWithValue("ids", ids.ToArray());
            update.Parameters.AddWithValue("embeddings", vectors.SelectMany(v => v).ToArray());
            update.Parameters.AddWithValue("dimensions", embedder.Settings.Dimensions);
            update.Parameters.AddWithValue("model", Model);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return ids.Count;
    }

    public async Task<ReembeddingProgress> GetProgressAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ProgressSql);
        command.Parameters.AddWithValue("model", Model);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        (Guid Id, DateTimeOffset RequestedAt, long Total, DateTimeOffset? FinishedAt)? job = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            job = (reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
        }
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var remaining = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var byModel = new List<NamedCount>();
        while (await reader.ReadAsync(cancellationToken))
        {
            byModel.Add(new NamedCount(reader.GetString(0), reader.GetInt64(1)));
        }

        var state = job switch
        {
            { FinishedAt: null } => ReembeddingStates.Running,
            not null when remaining == 0 => ReembeddingStates.Completed,
            _ when remaining == 0 => ReembeddingStates.UpToDate,
            _ => ReembeddingStates.NotStarted,
        };
        var total = state switch
        {
            ReembeddingStates.Running => Math.Max(job!.Value.Total, remaining),
            ReembeddingStates.Completed => job!.Value.Total,
            _ => remaining,
        };
        return new ReembeddingProgress(
            Model, state, job?.Id, total, Math.Max(0, total - remaining), remaining, job?.RequestedAt, job?.FinishedAt, byModel);
    }
}

/// <summary>Wakes the re-embedding worker of this process when a job was opened here.</summary>
public sealed class ReembeddingSignal
{
    private readonly SemaphoreSlim _signal = new(0);

    public void Raise()
    {
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
