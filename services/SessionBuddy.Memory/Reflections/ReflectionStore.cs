using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Memory.Embeddings;
using SessionBuddy.Messaging.Data;

namespace SessionBuddy.Memory.Reflections;

/// <summary>
/// Writes and reads reflections. Every insert and delete maintains the BM25 postings and statistics
/// (<c>reflection_postings</c>, <c>reflection_terms</c>, <c>reflection_corpus</c>) in the same statement, so keyword ranking always
/// sees the committed corpus. De-duplication is the unique (project, content_hash) constraint with
/// <c>ON CONFLICT DO NOTHING</c>: concurrent identical stores wait for the first and then find its row.
/// </summary>
public sealed class ReflectionStore(NpgsqlDataSource dataSource, EmbeddingSettings embeddingSettings, Outbox outbox)
{
    private const string InsertSql =
        """
        WITH input AS MATERIALIZED (
            -- Materialised so each content is analysed once, not once per reference.
            SELECT i.*, to_tsvector('english', i.content) AS analysed
            FROM unnest(@ids, @operation_ids, @projects, @contents, @hashes, @tags, @session_ids, @metadata, @categories)
                 WITH ORDINALITY AS i(id, operation_id, project, content, content_hash, tags, session_id, metadata, category, ord)
        ), inserted AS (
            INSERT INTO reflections (id, operation_id, project, content, content_hash, tags, session_id, metadata,
                                     search_vector, term_counts, doc_length, embedding, embedding_model, category)
            SELECT i.id, i.operation_id, i.project, i.content, i.content_hash,
                   ARRAY(SELECT jsonb_array_elements_text(i.tags)), i.session_id, i.metadata,
                   strip(i.analysed), stats.term_counts, stats.doc_length,
                   CASE WHEN @dimensions > 0
                        THEN (@embeddings::real[])[(i.ord - 1) * @dimensions + 1 : i.ord * @dimensions]::vector END,
                   CASE WHEN @dimensions > 0 THEN (SELECT id FROM embedding_models WHERE name = @model) END,
                   i.category
            FROM input i
            CROSS JOIN LATERAL (
                SELECT coalesce(jsonb_object_agg(u.lexeme, cardinality(u.positions)), '{}') AS term_counts,
                       coalesce(sum(cardinality(u.positions)), 0)::int AS doc_length
                FROM unnest(i.analysed) u
            ) stats
            ORDER BY i.ord
            ON CONFLICT DO NOTHING
            RETURNING id, project, category, session_id, term_counts, doc_length, created_at, content, tags
        ), terms AS MATERIALIZED (
            SELECT i.id, i.project, i.category, i.doc_length, k.key AS term, k.value::int AS tf
            FROM inserted i, jsonb_each_text(i.term_counts) AS k
        ), postings AS (
            INSERT INTO reflection_postings (term, reflection_id, project, category, tf, doc_length)
            SELECT term, id, project, category, tf, doc_length FROM terms ORDER BY term, id
        ), term_stats AS (
            -- Sorted so concurrent writers lock shared term rows in one order.
            INSERT INTO reflection_terms (term, df, max_tf, min_doc_length)
            SELECT term, count(*), max(tf), min(doc_length) FROM terms
            GROUP BY term ORDER BY term
            ON CONFLICT (term) DO UPDATE SET
                df = reflection_terms.df + excluded.df,
                max_tf = greatest(reflection_terms.max_tf, excluded.max_tf),
                min_doc_length = least(reflection_terms.min_doc_length, excluded.min_doc_length)
        ), corpus_stats AS (
            UPDATE reflection_corpus
            SET doc_count = doc_count + s.n, total_length = total_length + s.len
            FROM (SELECT count(*) AS n, coalesce(sum(doc_length), 0) AS len FROM inserted) s
            WHERE slot = @slot AND s.n > 0
        ), added_events AS (
            -- ReflectionAdded for each new row, committed with it (the transactional outbox; camelCase like Outbox's JSON).
            -- Reflections carry their text and tags (Akosha:ForwardReflections); other memories' events do not.
            INSERT INTO outbox_messages (id, message_type, payload)
            SELECT gen_random_uuid(), @event_type,
                   jsonb_build_object('reflectionId', i.id, 'project', i.project, 'category', i.category, 'sessionId', i.session_id, 'createdAt', i.created_at)
                   || CASE WHEN i.category = 'reflection' THEN jsonb_build_object('content', i.content, 'tags', to_jsonb(i.tags)) ELSE '{}' END
            FROM inserted i
        )
        SELECT id, created_at FROM inserted
        """;

    // A store that inserted nothing: the row already existed (same project and content, or a retried operation).
    private const string FindExistingSql =
        """
        SELECT r.id, r.operation_id = @operation_id, r.embedding_model IS NOT DISTINCT FROM (SELECT id FROM embedding_models WHERE name = @model), r.created_at
        FROM reflections r
        WHERE r.operation_id = @operation_id OR (r.project IS NOT DISTINCT FROM @project AND r.content_hash = @hash)
        ORDER BY r.operation_id = @operation_id DESC
        LIMIT 1
        """;

    private const string DeleteSql =
        """
        WITH deleted AS (
            DELETE FROM reflections WHERE id = @id RETURNING id, term_counts, doc_length
        ), term_stats AS (
            -- max_tf and min_doc_length stay: still upper bounds without this row.
            UPDATE reflection_terms t SET df = t.df - 1
            FROM deleted, jsonb_object_keys(deleted.term_counts) AS k(term)
            WHERE t.term = k.term
        ), postings AS (
            DELETE FROM reflection_postings p
            USING deleted, jsonb_object_keys(deleted.term_counts) AS k(term)
            WHERE p.term = k.term AND p.reflection_id = deleted.id
        ), corpus_stats AS (
            UPDATE reflection_corpus SET doc_count = doc_count - 1, total_length = total_length - d.doc_length
            FROM deleted d WHERE slot = @slot
        )
        SELECT count(*) FROM deleted
        """;

    private const string LoadSql =
        """
        SELECT id, project, content, tags, session_id, metadata::text, created_at
        FROM reflections WHERE id = ANY(@ids)
        """;

    private const string StatsSql =
        """
        SELECT count(*), count(*) FILTER (WHERE embedding_model = (SELECT id FROM embedding_models WHERE name = @model)),
               min(created_at), max(created_at)
        FROM reflections WHERE (@project::text IS NULL OR project = @project) AND category = 'reflection';

        SELECT coalesce(project, ''), count(*) FROM reflections
        WHERE (@project::text IS NULL OR project = @project) AND category = 'reflection'
        GROUP BY project ORDER BY count(*) DESC, 1 LIMIT 100;

        SELECT t.tag, count(*) FROM reflections r, unnest(r.tags) AS t(tag)
        WHERE (@project::text IS NULL OR r.project = @project) AND r.category = 'reflection'
        GROUP BY t.tag ORDER BY count(*) DESC, 1 LIMIT 100;
        """;

    /// <summary>
    /// Stores a batch in one statement. <paramref name="embeddings"/> holds one vector per reflection, or is
    /// null when none could be made (those reflections are found by keyword only).
    /// </summary>
    public async Task<IReadOnlyList<StoreOutcome>> StoreAsync(
        IReadOnlyList<NewReflection> reflections, float[][]? embeddings, CancellationToken cancellationToken)
    {
        if (embeddings is not null && embeddings.Length != reflections.Count)
        {
            throw new ArgumentException("one embedding per reflection", nameof(embeddings));
        }

        var ids = reflections.Select(_ => Guid.CreateVersion7()).ToArray();
        var hashes = reflections.Select(r => r.ContentHash).ToArray();
        var dimensions = embeddings is { Length: > 0 } ? embeddings[0].Length : 0;

        var inserted = await Transient.RetryAsync(async () =>
        {
            await using var command = dataSource.CreateCommand(InsertSql);
            command.Parameters.AddWithValue("ids", ids);
            command.Parameters.AddWithValue("operation_ids", reflections.Select(r => r.OperationId).ToArray());
            command.Parameters.Add(new NpgsqlParameter("projects", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = reflections.Select(r => r.Project).ToArray() });
            command.Parameters.AddWithValue("contents", reflections.Select(r => r.Content).ToArray());
            command.Parameters.AddWithValue("hashes", hashes);
            command.Parameters.Add(new NpgsqlParameter("tags", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            {
                Value = reflections.Select(r => JsonSerializer.Serialize(r.Tags)).ToArray(),
            });
            command.Parameters.Add(new NpgsqlParameter("session_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = reflections.Select(r => r.SessionId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("metadata", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            {
                Value = reflections.Select(r => r.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}").ToArray(),
            });
            command.Parameters.AddWithValue("categories", reflections.Select(r => r.Category).ToArray());
            command.Parameters.AddWithValue("dimensions", dimensions);
            command.Parameters.AddWithValue("model", embeddingSettings.Key);
            command.Parameters.AddWithValue("embeddings", embeddings is null ? Array.Empty<float>() : embeddings.SelectMany(v => v).ToArray());
            command.Parameters.AddWithValue("slot", Random.Shared.Next(16));
            command.Parameters.AddWithValue("event_type", typeof(ReflectionAdded).FullName!);

            var rows = new Dictionary<Guid, DateTimeOffset>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
            return rows;
        }, cancellationToken);
        if (inserted.Count > 0)
        {
            outbox.NotifyCommitted();
        }

        var outcomes = new StoreOutcome[reflections.Count];
        for (var i = 0; i < reflections.Count; i++)
        {
            outcomes[i] = inserted.TryGetValue(ids[i], out var createdAt)
                ? new StoreOutcome(ids[i], false, embeddings is not null, createdAt)
                : await FindExistingAsync(reflections[i], hashes[i], cancellationToken);
        }
        return outcomes;
    }

    private async Task<StoreOutcome> FindExistingAsync(NewReflection reflection, string hash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FindExistingSql);
        command.Parameters.AddWithValue("operation_id", reflection.OperationId);
        command.Parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = (object?)reflection.Project ?? DBNull.Value });
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("model", embeddingSettings.Key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            // The conflicting row was deleted between our insert and this read; the caller retries.
            throw new InvalidOperationException("reflection conflicted with a row that no longer exists");
        }
        // The same operation retried reports what it did the first time: a fresh store, not a duplicate.
        var sameOperation = reader.GetBoolean(1);
        return new StoreOutcome(reader.GetGuid(0), !sameOperation, reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3));
    }

    /// <returns>False when no reflection has this id.</returns>
    public Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken) =>
        Transient.RetryAsync(async () =>
        {
            await using var command = dataSource.CreateCommand(DeleteSql);
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("slot", Random.Shared.Next(16));
            return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
        }, cancellationToken);

    public async Task<IReadOnlyDictionary<Guid, StoredReflection>> LoadAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, StoredReflection>(ids.Count);
        if (ids.Count == 0)
        {
            return result;
        }
        await using var command = dataSource.CreateCommand(LoadSql);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            using var metadata = JsonDocument.Parse(reader.GetString(5));
            var id = reader.GetGuid(0);
            result[id] = new StoredReflection(
                id,
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<string[]>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                metadata.RootElement.Clone(),
                reader.GetFieldValue<DateTimeOffset>(6));
        }
        return result;
    }

    public async Task<ReflectionStats> GetStatsAsync(string? project, string provider, int dimensions, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StatsSql);
        command.Parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = (object?)project ?? DBNull.Value });
        command.Parameters.AddWithValue("model", embeddingSettings.Key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        var embedded = reader.GetInt64(1);
        DateTimeOffset? oldest = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
        DateTimeOffset? newest = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);

        var projects = new List<NamedCount>();
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            projects.Add(new NamedCount(reader.GetString(0), reader.GetInt64(1)));
        }

        var tags = new List<NamedCount>();
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tags.Add(new NamedCount(reader.GetString(0), reader.GetInt64(1)));
        }
        return new ReflectionStats(project, total, embedded, projects, tags, oldest, newest, provider, dimensions);
    }
}
