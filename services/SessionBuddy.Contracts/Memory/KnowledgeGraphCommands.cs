using System.Text.Json;

namespace SessionBuddy.Contracts.Memory;

// Knowledge-graph requests the gateway sends to the Memory service. Entities are addressed by name
// (case-insensitive, unique); argument names in RequestRejected replies are the snake_case MCP names.

/// <summary>Creates an entity with optional first observations and a JSON-object of properties.</summary>
public sealed record CreateEntity(
    Guid OperationId,
    string Name,
    string EntityType,
    IReadOnlyList<string>? Observations = null,
    JsonElement? Properties = null);

/// <summary>Adds one observation (a fact) to an entity; an observation it already has is not added twice.</summary>
public sealed record AddObservation(Guid OperationId, string EntityName, string Observation);

/// <summary>A directed, typed relation between two existing entities; self and duplicate relations are refused.</summary>
public sealed record CreateRelation(
    Guid OperationId,
    string FromEntity,
    string ToEntity,
    string RelationType,
    JsonElement? Properties = null);

/// <summary>Entities whose name, type or observations contain the query (case-insensitive).</summary>
public sealed record SearchEntities(string Query, string? EntityType = null, int? Limit = null);

/// <summary><see cref="Direction"/>: in, out or both (default; <see cref="RelationDirections"/>).</summary>
public sealed record GetEntityRelationships(string EntityName, string? RelationType = null, string? Direction = null);

/// <summary>Shortest chain of relations (followed in either direction) between two entities, at most <see cref="MaxDepth"/> hops.</summary>
public sealed record FindPath(string FromEntity, string ToEntity, int? MaxDepth = null);

public sealed record GetKnowledgeGraphStats;

/// <summary>Rule-based extraction of entity candidates from text; nothing is stored.</summary>
public sealed record ExtractEntitiesFromContext(string Text);

/// <summary>Deletes an entity with its observations and every relation to or from it.</summary>
public sealed record DeleteEntity(string Name);

public static class RelationDirections
{
    public const string In = "in";
    public const string Out = "out";
    public const string Both = "both";

    public static readonly IReadOnlyList<string> All = [In, Out, Both];
}
