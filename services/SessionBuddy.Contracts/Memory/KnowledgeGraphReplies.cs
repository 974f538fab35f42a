using System.Text.Json;

namespace SessionBuddy.Contracts.Memory;

/// <summary>An entity with its observations, oldest first.</summary>
public sealed record EntityDetails(
    Guid Id,
    string Name,
    string EntityType,
    IReadOnlyList<string> Observations,
    JsonElement Properties,
    DateTimeOffset CreatedAt);

/// <summary>Reply to <see cref="AddObservation"/>: <see cref="Added"/> is false when the entity already had it.</summary>
public sealed record AddObservationReply(string EntityName, string Observation, bool Added, int ObservationCount);

/// <summary>A directed relation <see cref="FromEntity"/> → <see cref="ToEntity"/>.</summary>
public sealed record RelationDetails(
    Guid Id,
    string FromEntity,
    string ToEntity,
    string RelationType,
    JsonElement Properties,
    DateTimeOffset CreatedAt);

public sealed record EntitySearchResults(string Query, IReadOnlyList<EntityDetails> Entities);

/// <summary>Relations of <see cref="EntityName"/>; <see cref="Relationships"/> keep their stored direction.</summary>
public sealed record EntityRelationships(string EntityName, string Direction, IReadOnlyList<RelationDetails> Relationships);

/// <summary>
/// Reply to <see cref="FindPath"/>. When <see cref="Found"/>, <see cref="Entities"/> runs from the start to
/// the end entity and <see cref="Relations"/> holds the relation crossed at each hop (in its stored direction).
/// </summary>
public sealed record EntityPath(
    string FromEntity,
    string ToEntity,
    bool Found,
    int Length,
    IReadOnlyList<string> Entities,
    IReadOnlyList<RelationDetails> Relations);

public sealed record KnowledgeGraphStats(
    long Entities,
    long Relations,
    long Observations,
    IReadOnlyList<NamedCount> EntityTypes,
    IReadOnlyList<NamedCount> RelationTypes,
    IReadOnlyList<NamedCount> MostConnected);

/// <summary>One candidate: <see cref="EntityType"/> is url, file_path, technology or code_identifier.</summary>
public sealed record ExtractedEntity(string Name, string EntityType, int Occurrences);

public sealed record ExtractedEntities(IReadOnlyList<ExtractedEntity> Entities);

public sealed record DeleteEntityReply(string Name, bool Deleted, long RelationsDeleted, long ObservationsDeleted);
