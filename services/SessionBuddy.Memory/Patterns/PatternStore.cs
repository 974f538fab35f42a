using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Patterns;

/// <summary>A validated store_pattern.</summary>
public sealed record NewPattern(Guid OperationId, string Name, string PatternType, string Description, IReadOnlyList<string> Examples, string? Project);

/// <summary>A validated find_patterns; <see cref="Search"/> is null when no query was given.</summary>
public sealed record PatternQuery(ReflectionQuery? Search, string? PatternType, string? Project, int Limit);

/// <summary>
/// Recurring patterns, one row per (project, name). Their searchable text is a memory of category
/// <c>pattern</c>, replaced whenever the pattern changes, so find_patterns ranks with the memory search.
/// </summary>
public sealed class PatternStore(NpgsqlDataSource dataSource, MemorySearch memories, ReflectionStore reflections)
{
    private const string Columns = "id, name, pattern_type, description, examples, project, occurrences, first_seen, last_seen, memory_id";

    private const string AppliedSql =
        """
        SELECT p.id, p.name, p.pattern_type, p.description, p.examples, p.project, p.occurrences, p.first_seen, p.last_seen, p.memory_id, o.created
        FROM pattern_operations o JOIN patterns p ON p.id = o.pattern_id WHERE o.operation_id = @operation_id
        """;

    // Upsert: a known name counts another occurrence, takes the new description and type, and keeps
    // up to 20 (PatternLimits.MaxExamples) distinct examples, newest last. The row stays locked until commit.
    private const string UpsertSql =
        $"""
        INSERT INTO patterns (id, project, name, pattern_type, description, examples)
        VALUES (@id, @project, @name, @pattern_type, @description, @examples)
        ON CONFLICT (project, name) DO UPDATE SET
            pattern_type = excluded.pattern_type,
            description = excluded.description,
            examples = (SELECT coalesce(array_agg(e ORDER BY ord), ARRAY[]::text[]) FROM (
                SELECT e, min(ord) AS ord FROM unnest(patterns.examples || excluded.examples) WITH ORDINALITY AS u(e, ord)
                GROUP BY e ORDER BY min(ord) DESC LIMIT 20) kept),
            occurrences = patterns.occurrences + 1,
            last_seen = now()
        RETURNING {Columns}, xmax = 0
        """;

    private const string SetMemorySql =
        """
        UPDATE patterns p SET memory_id = @memory_id FROM (SELECT memory_id AS old FROM patterns WHERE id = @id) o
        WHERE p.id = @id RETURNING o.old
        """;

    private const string ListSql =
        $"""
        SELECT {Columns} FROM patterns
        WHERE (@project::text IS NULL OR project = @project) AND (@pattern_type::text IS NULL OR pattern_type = @pattern_type)
        ORDER BY occurrences DESC, last_seen DESC, id LIMIT @limit
        """;

    private const string ByMemorySql = $"SELECT {Columns} FROM patterns WHERE memory_id = ANY(@ids)";

    public async Task<StorePatternReply> StoreAsync(NewPattern pattern, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var applied = new NpgsqlCommand(AppliedSql, connection, transaction))
        {
            applied.Parameters.AddWithValue("operation_id", pattern.OperationId);
            await using var reader = await applied.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return new StorePatternReply(Read(reader, out _), reader.GetBoolean(10));
            }
        }

        PatternDetails details;
        bool created;
        Guid? oldMemory;
        await using (var upsert = new NpgsqlCommand(UpsertSql, connection, transaction))
        {
            upsert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            upsert.Parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = (object?)pattern.Project ?? DBNull.Value });
            upsert.Parameters.AddWithValue("name", pattern.Name);
            upsert.Parameters.AddWithValue("pattern_type", pattern.PatternType);
            upsert.Parameters.AddWithValue("description", pattern.Description);
            upsert.Parameters.AddWithValue("examples", pattern.Examples.ToArray());
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            details = Read(reader, out oldMemory);
            created = reader.GetBoolean(10);
        }

        await using (var operation = new NpgsqlCommand(
            "INSERT INTO pattern_operations (operation_id, pattern_id, created) VALUES (@operation_id, @id, @created)", connection, transaction))
        {
            operation.Parameters.AddWithValue("operation_id", pattern.OperationId);
            operation.Parameters.AddWithValue("id", details.Id);
            operation.Parameters.AddWithValue("created", created);
            await operation.ExecuteNonQueryAsync(cancellationToken);
        }

        // The searchable text follows the committed pattern: made while its row is locked.
        var memory = await memories.StoreAsync(SearchableText(details), cancellationToken);
        await using (var setMemory = new NpgsqlCommand(SetMemorySql, connection, transaction))
        {
            setMemory.Parameters.AddWithValue("id", details.Id);
            setMemory.Parameters.AddWithValue("memory_id", memory.Id);
            await setMemory.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);

        if (oldMemory is { } old && old != memory.Id)
        {
            await reflections.DeleteAsync(old, cancellationToken);
        }
        return new StorePatternReply(details, created);
    }

    public async Task<PatternSearchResults> FindAsync(PatternQuery query, CancellationToken cancellationToken)
    {
        if (query.Search is not { } search)
        {
            await using var list = dataSource.CreateCommand(ListSql);
            list.Parameters.Add(new NpgsqlParameter("project", NpgsqlDbType.Text) { Value = (object?)query.Project ?? DBNull.Value });
            list.Parameters.Add(new NpgsqlParameter("pattern_type", NpgsqlDbType.Text) { Value = (object?)query.PatternType ?? DBNull.Value });
            list.Parameters.AddWithValue("limit", query.Limit);
            var listed = new List<PatternMatch>();
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                listed.Add(new PatternMatch(Read(reader, out _), null, null));
            }
            return new PatternSearchResults(listed, null, []);
        }

        var found = await memories.SearchAsync(search, cancellationToken);
        var byMemory = new Dictionary<Guid, PatternDetails>();
        await using (var load = dataSource.CreateCommand(ByMemorySql))
        {
            load.Parameters.AddWithValue("ids", found.Results.Select(r => r.Id).ToArray());
            await using var reader = await load.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var details = Read(reader, out var memoryId);
                byMemory[memoryId!.Value] = details;
            }
        }
        var matches = found.Results
            .Where(r => byMemory.ContainsKey(r.Id))
            .Select(r => new PatternMatch(byMemory[r.Id], r.Score, r.MatchedBy))
            .ToList();
        return new PatternSearchResults(matches, found.Mode, found.Warnings);
    }

    private static NewReflection SearchableText(PatternDetails pattern)
    {
        var text = new StringBuilder().Append(pattern.Name).Append(" (").Append(pattern.PatternType).Append("): ").AppendLine(pattern.Description);
        foreach (var example in pattern.Examples)
        {
            text.Append("Example: ").AppendLine(example);
        }
        var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, string>
        {
            ["pattern_id"] = pattern.Id.ToString(),
            ["name"] = pattern.Name,
            ["pattern_type"] = pattern.PatternType,
        });
        return new NewReflection(Guid.CreateVersion7(), text.ToString(), [], pattern.Project, null, metadata, MemoryCategories.Pattern);
    }

    private static PatternDetails Read(NpgsqlDataReader reader, out Guid? memoryId)
    {
        memoryId = reader.IsDBNull(9) ? null : reader.GetGuid(9);
        return new PatternDetails(
            reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<string[]>(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6),
            reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(8));
    }
}
