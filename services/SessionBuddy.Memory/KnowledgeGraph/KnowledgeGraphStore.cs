using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.KnowledgeGraph;

/// <summary>
/// Entities, observations and relations in PostgreSQL. Writes are single transactions that either apply
/// fully or are refused (nothing stored); a retried operation (same operation id) returns what it did.
/// Uniqueness (entity names, observations per entity, relations) is enforced by constraints, so
/// concurrent callers cannot create duplicates.
/// </summary>
public sealed class KnowledgeGraphStore(NpgsqlDataSource dataSource)
{
    private const string EntityColumns =
        """
        e.id, e.name, e.entity_type, e.properties::text, e.created_at,
        ARRAY(SELECT o.content FROM kg_observations o WHERE o.entity_id = e.id ORDER BY o.created_at, o.id)
        """;

    private const string RelationColumns =
        "r.id, f.name, t.name, r.relation_type, r.properties::text, r.created_at";

    private const string RelationJoins =
        "JOIN kg_entities f ON f.id = r.from_id JOIN kg_entities t ON t.id = r.to_id";

    private const string InsertEntitySql =
        """
        INSERT INTO kg_entities (id, operation_id, name, name_key, entity_type, properties)
        VALUES (@id, @operation_id, @name, lower(@name), @entity_type, @properties::jsonb)
        ON CONFLICT DO NOTHING
        """;

    private const string InsertObservationsSql =
        """
        INSERT INTO kg_observations (id, operation_id, entity_id, content)
        SELECT o.id, o.operation_id, @entity_id, o.content
        FROM unnest(@ids, @operation_ids, @contents) WITH ORDINALITY AS o(id, operation_id, content, ord)
        ORDER BY o.ord
        ON CONFLICT DO NOTHING
        """;

    private const string InsertRelationSql =
        """
        INSERT INTO kg_relations (id, operation_id, from_id, to_id, relation_type, properties)
        VALUES (@id, @operation_id, @from_id, @to_id, @relation_type, @properties::jsonb)
        ON CONFLICT DO NOTHING
        """;

    private const string SearchSql =
        $"""
        SELECT {EntityColumns}
        FROM kg_entities e
        WHERE (@entity_type::text IS NULL OR lower(e.entity_type) = @entity_type)
          AND (strpos(e.name_key, @query) > 0 OR strpos(lower(e.entity_type), @query) > 0
               OR EXISTS (SELECT 1 FROM kg_observations o WHERE o.entity_id = e.id AND strpos(lower(o.content), @query) > 0))
        ORDER BY e.name_key = @query DESC, starts_with(e.name_key, @query) DESC, strpos(e.name_key, @query) > 0 DESC, e.name_key
        LIMIT @limit
        """;

    private const string RelationshipsSql =
        $"""
        SELECT {RelationColumns}
        FROM kg_relations r {RelationJoins}
        WHERE ((@outgoing AND r.from_id = @id) OR (@incoming AND r.to_id = @id))
          AND (@relation_type::text IS NULL OR r.relation_type = @relation_type)
        ORDER BY r.created_at, r.id
        """;

    // Breadth-first over relations in both directions; a walk never revisits an entity, and the first
    // (shortest) arrival wins. Depth is bounded by GraphRules.MaxPathDepth.
    private const string PathSql =
        """
        WITH RECURSIVE edges AS (
            SELECT id, from_id AS a, to_id AS b FROM kg_relations
            UNION ALL
            SELECT id, to_id, from_id FROM kg_relations
        ), walk (node, nodes, relations, depth) AS (
            SELECT @from_id, ARRAY[@from_id], ARRAY[]::uuid[], 0
            UNION ALL
            SELECT e.b, w.nodes || e.b, w.relations || e.id, w.depth + 1
            FROM walk w JOIN edges e ON e.a = w.node
            WHERE w.depth < @max_depth AND w.node <> @to_id AND NOT e.b = ANY (w.nodes)
        )
        SELECT nodes, relations FROM walk WHERE node = @to_id ORDER BY depth LIMIT 1
        """;

    private const string StatsSql =
        """
        SELECT (SELECT count(*) FROM kg_entities), (SELECT count(*) FROM kg_relations), (SELECT count(*) FROM kg_observations);
        SELECT entity_type, count(*) FROM kg_entities GROUP BY entity_type ORDER BY count(*) DESC, 1 LIMIT 100;
        SELECT relation_type, count(*) FROM kg_relations GROUP BY relation_type ORDER BY count(*) DESC, 1 LIMIT 100;
        SELECT e.name, count(*) FROM kg_entities e JOIN kg_relations r ON e.id IN (r.from_id, r.to_id)
        GROUP BY e.id, e.name ORDER BY count(*) DESC, e.name LIMIT 10;
        """;

    private const string DeleteSql =
        """
        WITH target AS (SELECT id FROM kg_entities WHERE name_key = lower(@name)),
        counts AS (
            SELECT (SELECT count(*) FROM kg_relations r, target WHERE target.id IN (r.from_id, r.to_id)) AS relations,
                   (SELECT count(*) FROM kg_observations o, target WHERE o.entity_id = target.id) AS observations
        ), deleted AS (
            DELETE FROM kg_entities e USING target WHERE e.id = target.id RETURNING e.name
        )
        SELECT deleted.name, counts.relations, counts.observations FROM deleted, counts
        """;

    public async Task<EntityDetails> CreateEntityAsync(
        Guid operationId, string name, string entityType, IReadOnlyList<string> observations, string properties, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = Guid.CreateVersion7();
        await using (var insert = new NpgsqlCommand(InsertEntitySql, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("operation_id", operationId);
            insert.Parameters.AddWithValue("name", name);
            insert.Parameters.AddWithValue("entity_type", entityType);
            insert.Parameters.AddWithValue("properties", properties);
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                // Either this operation ran before (a retry: report it) or the name is taken.
                var earlier = await FindEntityAsync(connection, transaction, "e.operation_id = @key", operationId, cancellationToken);
                return earlier ?? throw RequestRejectedException.InvalidArgument(
                    "name", $"an entity named '{name}' already exists; add facts to it with add_observation or choose another name");
            }
        }
        if (observations.Count > 0)
        {
            await using var add = new NpgsqlCommand(InsertObservationsSql, connection, transaction);
            add.Parameters.AddWithValue("entity_id", id);
            add.Parameters.AddWithValue("ids", observations.Select(_ => Guid.CreateVersion7()).ToArray());
            add.Parameters.AddWithValue("operation_ids", observations.Select(_ => Guid.NewGuid()).ToArray());
            add.Parameters.AddWithValue("contents", observations.ToArray());
            await add.ExecuteNonQueryAsync(cancellationToken);
        }
        var created = (await FindEntityAsync(connection, transaction, "e.id = @key", id, cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    public async Task<AddObservationReply> AddObservationAsync(Guid operationId, string entityName, string observation, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var entity = await RequireEntityAsync(connection, transaction, entityName, "entity_name", cancellationToken);
        bool added;
        await using (var insert = new NpgsqlCommand(InsertObservationsSql, connection, transaction))
        {
            insert.Parameters.AddWithValue("entity_id", entity.Id);
            insert.Parameters.AddWithValue("ids", new[] { Guid.CreateVersion7() });
            insert.Parameters.AddWithValue("operation_ids", new[] { operationId });
            insert.Parameters.AddWithValue("contents", new[] { observation });
            added = await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        if (!added)
        {
            // A retried operation reports what the first attempt did.
            await using var retried = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM kg_observations WHERE operation_id = @id)", connection, transaction);
            retried.Parameters.AddWithValue("id", operationId);
            added = (bool)(await retried.ExecuteScalarAsync(cancellationToken))!;
        }
        await using var count = new NpgsqlCommand("SELECT count(*)::int FROM kg_observations WHERE entity_id = @id", connection, transaction);
        count.Parameters.AddWithValue("id", entity.Id);
        var observations = (int)(await count.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return new AddObservationReply(entity.Name, observation, added, observations);
    }

    public async Task<RelationDetails> CreateRelationAsync(
        Guid operationId, string fromEntity, string toEntity, string relationType, string properties, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var from = await RequireEntityAsync(connection, transaction, fromEntity, "from_entity", cancellationToken);
        var to = await RequireEntityAsync(connection, transaction, toEntity, "to_entity", cancellationToken);
        if (from.Id == to.Id)
        {
            throw RequestRejectedException.InvalidArgument("to_entity", $"is the same entity as from_entity ('{from.Name}'); self relations are not allowed");
        }
        var id = Guid.CreateVersion7();
        await using (var insert = new NpgsqlCommand(InsertRelationSql, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("operation_id", operationId);
            insert.Parameters.AddWithValue("from_id", from.Id);
            insert.Parameters.AddWithValue("to_id", to.Id);
            insert.Parameters.AddWithValue("relation_type", relationType);
            insert.Parameters.AddWithValue("properties", properties);
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                var earlier = await FindRelationsAsync(connection, transaction, "r.operation_id = @key", operationId, cancellationToken);
                return earlier.Count > 0
                    ? earlier[0]
                    : throw RequestRejectedException.InvalidArgument(
                        "relation_type", $"'{from.Name}' already has a '{relationType}' relation to '{to.Name}'; duplicate relations are not allowed");
            }
        }
        var created = (await FindRelationsAsync(connection, transaction, "r.id = @key", id, cancellationToken))[0];
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    public async Task<EntitySearchResults> SearchAsync(string query, string? entityType, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(SearchSql);
        command.Parameters.AddWithValue("query", query.ToLowerInvariant());
        command.Parameters.Add(new NpgsqlParameter("entity_type", NpgsqlDbType.Text) { Value = (object?)entityType ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        var entities = new List<EntityDetails>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entities.Add(ReadEntity(reader));
        }
        return new EntitySearchResults(query, entities);
    }

    public async Task<EntityRelationships> GetRelationshipsAsync(string entityName, string? relationType, string direction, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var entity = await RequireEntityAsync(connection, null, entityName, "entity_name", cancellationToken);
        await using var command = new NpgsqlCommand(RelationshipsSql, connection);
        command.Parameters.AddWithValue("id", entity.Id);
        command.Parameters.AddWithValue("outgoing", direction is RelationDirections.Out or RelationDirections.Both);
        command.Parameters.AddWithValue("incoming", direction is RelationDirections.In or RelationDirections.Both);
        command.Parameters.Add(new NpgsqlParameter("relation_type", NpgsqlDbType.Text) { Value = (object?)relationType ?? DBNull.Value });
        var relations = new List<RelationDetails>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            relations.Add(ReadRelation(reader));
        }
        return new EntityRelationships(entity.Name, direction, relations);
    }

    public async Task<EntityPath> FindPathAsync(string fromEntity, string toEntity, int maxDepth, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var from = await RequireEntityAsync(connection, null, fromEntity, "from_entity", cancellationToken);
        var to = await RequireEntityAsync(connection, null, toEntity, "to_entity", cancellationToken);

        Guid[]? nodes = null, relationIds = null;
        await using (var command = new NpgsqlCommand(PathSql, connection))
        {
            command.Parameters.AddWithValue("from_id", from.Id);
            command.Parameters.AddWithValue("to_id", to.Id);
            command.Parameters.AddWithValue("max_depth", maxDepth);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                nodes = reader.GetFieldValue<Guid[]>(0);
                relationIds = reader.GetFieldValue<Guid[]>(1);
            }
        }
        if (nodes is null || relationIds is null)
        {
            return new EntityPath(from.Name, to.Name, false, 0, [], []);
        }

        var relations = (await FindRelationsAsync(connection, null, "r.id = ANY(@key)", relationIds, cancellationToken)).ToDictionary(r => r.Id);
        var names = new Dictionary<Guid, string>();
        await using (var command = new NpgsqlCommand("SELECT id, name FROM kg_entities WHERE id = ANY(@ids)", connection))
        {
            command.Parameters.AddWithValue("ids", nodes);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names[reader.GetGuid(0)] = reader.GetString(1);
            }
        }
        return new EntityPath(from.Name, to.Name, true, relationIds.Length, nodes.Select(n => names[n]).ToList(), relationIds.Select(r => relations[r]).ToList());
    }

    public async Task<KnowledgeGraphStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StatsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (entities, relations, observations) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        var lists = new List<List<NamedCount>>();
        for (var i = 0; i < 3; i++)
        {
            await reader.NextResultAsync(cancellationToken);
            var list = new List<NamedCount>();
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(new NamedCount(reader.GetString(0), reader.GetInt64(1)));
            }
            lists.Add(list);
        }
        return new KnowledgeGraphStats(entities, relations, observations, lists[0], lists[1], lists[2]);
    }

    public async Task<DeleteEntityReply> DeleteEntityAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw RequestRejectedException.NotFound("name", $"no entity named '{name}'");
        }
        return new DeleteEntityReply(reader.GetString(0), true, reader.GetInt64(1), reader.GetInt64(2));
    }

    private static async Task<EntityDetails> RequireEntityAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string name, string argument, CancellationToken cancellationToken) =>
        await FindEntityAsync(connection, transaction, "e.name_key = lower(@key)", name, cancellationToken)
        ?? throw RequestRejectedException.NotFound(argument, $"no entity named '{name}'; create it first with create_entity");

    private static async Task<EntityDetails?> FindEntityAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string condition, object key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {EntityColumns} FROM kg_entities e WHERE {condition}", connection, transaction);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadEntity(reader) : null;
    }

    private static async Task<List<RelationDetails>> FindRelationsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string condition, object key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {RelationColumns} FROM kg_relations r {RelationJoins} WHERE {condition}", connection, transaction);
        command.Parameters.AddWithValue("key", key);
        var relations = new List<RelationDetails>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            relations.Add(ReadRelation(reader));
        }
        return relations;
    }

    private static EntityDetails ReadEntity(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(5), Json(reader.GetString(3)), reader.GetFieldValue<DateTimeOffset>(4));

    private static RelationDetails ReadRelation(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Json(reader.GetString(4)), reader.GetFieldValue<DateTimeOffset>(5));

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
