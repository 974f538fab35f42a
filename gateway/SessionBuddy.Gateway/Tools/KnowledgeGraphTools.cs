using System.Text.Json;
using SessionBuddy.Contracts.Memory;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// Knowledge-graph tools: named, typed entities with observations and directed typed relations, kept
/// by the Memory service. Entities are addressed by name (case-insensitive). Rules are the service's.
/// </summary>
[McpServerToolType]
public sealed class KnowledgeGraphTools(ServiceRequests requests)
{
    [McpServerTool(Name = "create_entity", UseStructuredContent = true)]
    [Description("Create a knowledge-graph entity (a person, project, file, library, concept...). Names are unique regardless of case.")]
    public Task<EntityDetails> CreateEntity(
        [Description("Unique entity name (1..200 characters).")] string name,
        [Description("Entity type, e.g. project, library, person, file (stored lower-case).")] string entityType,
        [Description("Facts about the entity.")] string[]? observations = null,
        [Description("JSON object of properties.")] JsonElement? properties = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CreateEntity, EntityDetails>(
            new CreateEntity(Guid.NewGuid(), name, entityType, observations, properties), cancellationToken);

    [McpServerTool(Name = "add_observation", UseStructuredContent = true)]
    [Description("Add a fact to an existing entity; a fact it already has is not added twice (added = false).")]
    public Task<AddObservationReply> AddObservation(
        [Description("Name of an existing entity.")] string entityName,
        [Description("The fact to record (1..10,000 characters).")] string observation,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<AddObservation, AddObservationReply>(new AddObservation(Guid.NewGuid(), entityName, observation), cancellationToken);

    [McpServerTool(Name = "create_relation", UseStructuredContent = true)]
    [Description("Relate two existing entities: from_entity -relation_type-> to_entity. Self relations and duplicates are refused.")]
    public Task<RelationDetails> CreateRelation(
        [Description("Name of the source entity.")] string fromEntity,
        [Description("Name of the target entity.")] string toEntity,
        [Description("Relation type, e.g. depends_on, uses, authored (stored lower-case).")] string relationType,
        [Description("JSON object of properties.")] JsonElement? properties = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<CreateRelation, RelationDetails>(
            new CreateRelation(Guid.NewGuid(), fromEntity, toEntity, relationType, properties), cancellationToken);

    [McpServerTool(Name = "search_entities", UseStructuredContent = true, ReadOnly = true)]
    [Description("Find entities whose name, type or observations contain the query (case-insensitive); exact and prefix name matches first.")]
    public Task<EntitySearchResults> SearchEntities(
        [Description("Text to look for.")] string query,
        [Description("Only entities of this type.")] string? entityType = null,
        [Description("Maximum results, 1..100 (default 20).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SearchEntities, EntitySearchResults>(new SearchEntities(query, entityType, limit), cancellationToken);

    [McpServerTool(Name = "get_entity_relationships", UseStructuredContent = true, ReadOnly = true)]
    [Description("Relations of an entity: in (pointing to it), out (from it) or both (default).")]
    public Task<EntityRelationships> GetEntityRelationships(
        [Description("Name of an existing entity.")] string entityName,
        [Description("Only relations of this type.")] string? relationType = null,
        [Description("in, out or both (default).")] string? direction = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetEntityRelationships, EntityRelationships>(
            new GetEntityRelationships(entityName, relationType, direction), cancellationToken);

    [McpServerTool(Name = "find_path", UseStructuredContent = true, ReadOnly = true)]
    [Description("Shortest chain of relations (followed in either direction) between two entities; found = false when none within max_depth hops.")]
    public Task<EntityPath> FindPath(
        [Description("Start entity name.")] string fromEntity,
        [Description("End entity name.")] string toEntity,
        [Description("Most hops to follow, 1..6 (default 4).")] int maxDepth = 4,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<FindPath, EntityPath>(new FindPath(fromEntity, toEntity, maxDepth), cancellationToken);

    [McpServerTool(Name = "get_knowledge_graph_stats", UseStructuredContent = true, ReadOnly = true)]
    [Description("Entity, relation and observation counts, entity and relation types, and the most connected entities.")]
    public Task<KnowledgeGraphStats> GetKnowledgeGraphStats(CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetKnowledgeGraphStats, KnowledgeGraphStats>(new GetKnowledgeGraphStats(), cancellationToken);

    [McpServerTool(Name = "extract_entities_from_context", UseStructuredContent = true, ReadOnly = true)]
    [Description("Rule-based entity candidates in text: URLs, file paths, known technologies, code identifiers (calls, dotted names, CamelCase, snake_case). Stores nothing; create the ones you want with create_entity.")]
    public Task<ExtractedEntities> ExtractEntitiesFromContext(
        [Description("Text to scan (up to 200,000 characters).")] string text,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ExtractEntitiesFromContext, ExtractedEntities>(new ExtractEntitiesFromContext(text), cancellationToken);

    [McpServerTool(Name = "delete_entity", UseStructuredContent = true, Destructive = true)]
    [Description("Delete an entity with its observations and every relation to or from it.")]
    public Task<DeleteEntityReply> DeleteEntity(
        [Description("Name of the entity.")] string name,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<DeleteEntity, DeleteEntityReply>(new DeleteEntity(name), cancellationToken);
}
