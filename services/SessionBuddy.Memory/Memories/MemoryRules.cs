using System.Text.Json;
using SessionBuddy.Contracts.Akosha;
using SessionBuddy.Contracts.Workers;
using SessionBuddy.Memory.IntegrationEvents.EventHandling;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Memories;

/// <summary>
/// Validation of the generic memory requests. Throws <see cref="RequestRejectedException"/> naming the
/// argument as the MCP client spelled it; nothing is stored or searched on a rejection. Query, limit,
/// mode and scores are checked by the same rules as search_reflections.
/// </summary>
public static class MemoryRules
{
    public static NewReflection Validate(StoreMemory message, MemoryOptions options, MemoryCatalog catalog)
    {
        var category = Category(message.Category, catalog, required: true)!;
        if (category == MemoryCategories.Pattern)
        {
            throw RequestRejectedException.InvalidArgument("category", "'pattern' is written by store_pattern; use store_pattern to record a pattern");
        }
        if (category == MemoryCategories.AkoshaResult)
        {
            throw RequestRejectedException.InvalidArgument("category", "'akosha_result' is written by the Akosha hub; use akosha_push_results on a hub");
        }
        var reflection = new StoreReflection(message.OperationId, message.Content, message.Tags, message.Project, null, message.Metadata);
        return ReflectionRules.Validate(reflection, options) with { Category = category };
    }

    public static ReflectionQuery Validate(SearchMemories message, MemoryCatalog catalog)
    {
        var category = Category(message.Category, catalog, required: false);
        var metadata = MetadataFilter(message.Metadata);
        var query = SearchQuery(new SearchReflections(message.Query, message.Limit, message.MinScore, message.Project, Mode: message.Mode));
        return query with { Filter = query.Filter with { Category = category, MetadataJson = metadata } };
    }

    public static ReflectionQuery Validate(SearchWorkerHistory message)
    {
        var filter = new Dictionary<string, string>();
        if (!string.IsNullOrWhiteSpace(message.WorkerType))
        {
            var workerType = message.WorkerType.Trim();
            if (workerType.Length > MemoryLimits.MaxCategoryLength)
            {
                throw RequestRejectedException.InvalidArgument("worker_type", $"may be at most {MemoryLimits.MaxCategoryLength} characters long");
            }
            filter["worker_type"] = workerType;
        }
        if (!string.IsNullOrWhiteSpace(message.Status))
        {
            var status = message.Status.Trim().ToLowerInvariant();
            if (!WorkerTaskStatuses.All.Contains(status))
            {
                throw RequestRejectedException.InvalidArgument(
                    "status", $"'{message.Status}' is not a task status; use one of {string.Join(", ", WorkerTaskStatuses.All)}");
            }
            filter["status"] = status;
        }
        var query = SearchQuery(new SearchReflections(message.Query, message.Limit));
        return query with
        {
            Filter = query.Filter with
            {
                Category = MemoryCategories.WorkerExecution,
                MetadataJson = filter.Count > 0 ? JsonSerializer.Serialize(filter) : null,
            },
        };
    }

    /// <summary>
    /// akosha_search_workers / search_all_systems: items pushed to this hub (category akosha_result), by system id and
    /// kind (metadata), any of the worker types (tags) and the time the hub received them.
    /// </summary>
    public static ReflectionQuery Validate(SearchAkoshaResults message)
    {
        var query = SearchQuery(new SearchReflections(message.Query, message.Limit, message.MinScore, Since: message.Since, Until: message.Until));
        var filter = new Dictionary<string, string>();
        if (!string.IsNullOrWhiteSpace(message.SystemId))
        {
            var systemId = message.SystemId.Trim();
            if (systemId.Length > 128)
            {
                throw RequestRejectedException.InvalidArgument("system_id", "may be at most 128 characters long");
            }
            filter["system_id"] = systemId;
        }
        if (!string.IsNullOrWhiteSpace(message.Kind))
        {
            var kind = message.Kind.Trim().ToLowerInvariant();
            if (!AkoshaItemKinds.All.Contains(kind))
            {
                throw RequestRejectedException.InvalidArgument("kind", $"'{Shorten(message.Kind)}' is not a kind of item; use one of {string.Join(", ", AkoshaItemKinds.All)}");
            }
            filter["kind"] = kind;
        }
        var metadata = filter.Count > 0 ? JsonSerializer.Serialize(filter) : null;
        var workerTypes = (message.WorkerTypes ?? []).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).Distinct().ToList();
        if (workerTypes.Any(t => t.Length > MemoryLimits.MaxCategoryLength) || workerTypes.Count > 20)
        {
            throw RequestRejectedException.InvalidArgument("worker_types", $"at most 20 worker types of at most {MemoryLimits.MaxCategoryLength} characters");
        }
        return query with
        {
            Filter = query.Filter with
            {
                Category = MemoryCategories.AkoshaResult,
                MetadataJson = metadata,
                Tags = workerTypes.Count > 0 ? [.. workerTypes.Select(AkoshaResultTags.WorkerType)] : null,
                MatchAllTags = false,
            },
        };
    }

    /// <summary>The reflection query rules (query, limit, min_score, mode, project), without the reflection category.</summary>
    public static ReflectionQuery SearchQuery(SearchReflections message)
    {
        var query = ReflectionRules.Validate(message);
        return query with { Filter = query.Filter with { Category = null } };
    }

    public static string? Category(string? input, MemoryCatalog catalog, bool required)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return required
                ? throw RequestRejectedException.InvalidArgument("category", $"is required; use one of {string.Join(", ", catalog.Categories)}")
                : null;
        }
        var category = input.Trim().ToLowerInvariant();
        if (!catalog.IsKnown(category))
        {
            throw RequestRejectedException.InvalidArgument(
                "category", $"'{Shorten(input)}' is not a known category; use one of {string.Join(", ", catalog.Categories)} (Memory:ExtraCategories adds more)");
        }
        return category;
    }

    /// <summary>An equality filter: a JSON object of at most 20 keys, matched with jsonb containment.</summary>
    public static string? MetadataFilter(JsonElement? metadata)
    {
        if (metadata is not { } value || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw RequestRejectedException.InvalidArgument("metadata", $"must be a JSON object of key/value pairs to match, got {value.ValueKind.ToString().ToLowerInvariant()}");
        }
        var keys = value.EnumerateObject().Count();
        if (keys == 0)
        {
            return null;
        }
        if (keys > MemoryLimits.MaxMetadataFilterKeys)
        {
            throw RequestRejectedException.InvalidArgument("metadata", $"{keys} keys given; at most {MemoryLimits.MaxMetadataFilterKeys} are accepted");
        }
        return value.GetRawText();
    }

    public static bool IsIdentifier(string value, int maxLength) =>
        value.Length is > 0 && value.Length <= maxLength && char.IsAsciiLetterLower(value[0])
        && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.');

    public static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
