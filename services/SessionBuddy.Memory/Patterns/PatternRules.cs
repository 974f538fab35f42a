using SessionBuddy.Memory.Memories;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Patterns;

/// <summary>Validation of store_pattern and find_patterns; rejections name the argument.</summary>
public static class PatternRules
{
    public static NewPattern Validate(StorePattern message)
    {
        var name = Required("name", message.Name, PatternLimits.MaxNameLength);
        var type = PatternType(message.PatternType, required: true)!;
        var description = Required("description", message.Description, PatternLimits.MaxDescriptionLength);
        var examples = new List<string>();
        if (message.Examples is { } given)
        {
            if (given.Count > PatternLimits.MaxExamples)
            {
                throw RequestRejectedException.InvalidArgument("examples", $"{given.Count} examples given; at most {PatternLimits.MaxExamples} are accepted");
            }
            foreach (var example in given)
            {
                if (string.IsNullOrWhiteSpace(example))
                {
                    throw RequestRejectedException.InvalidArgument("examples", "must not contain empty examples");
                }
                if (example.Length > PatternLimits.MaxExampleLength)
                {
                    throw RequestRejectedException.InvalidArgument("examples", $"an example may be at most {PatternLimits.MaxExampleLength} characters long");
                }
                if (!examples.Contains(example, StringComparer.Ordinal))
                {
                    examples.Add(example);
                }
            }
        }
        var project = Project(message.Project);
        var operationId = message.OperationId == Guid.Empty ? Guid.CreateVersion7() : message.OperationId;
        return new NewPattern(operationId, name, type, description, examples, project);
    }

    public static PatternQuery Validate(FindPatterns message)
    {
        var type = PatternType(message.PatternType, required: false);
        var project = Project(message.Project);
        var limit = message.Limit ?? PatternLimits.DefaultLimit;
        if (limit is < 1 or > ReflectionLimits.MaxSearchLimit)
        {
            throw RequestRejectedException.InvalidArgument("limit", $"must be between 1 and {ReflectionLimits.MaxSearchLimit}, got {limit}");
        }
        if (message.Query is null)
        {
            return new PatternQuery(null, type, project, limit);
        }
        var search = MemoryRules.SearchQuery(new SearchReflections(message.Query, limit, Project: project));
        var metadata = type is null ? null : System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["pattern_type"] = type });
        return new PatternQuery(search with { Filter = search.Filter with { Category = MemoryCategories.Pattern, MetadataJson = metadata } }, type, project, limit);
    }

    private static string Required(string argument, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw RequestRejectedException.InvalidArgument(argument, "must not be empty");
        }
        var trimmed = value.Trim();
        return trimmed.Length <= maxLength
            ? trimmed
            : throw RequestRejectedException.InvalidArgument(argument, $"is {trimmed.Length} characters long; at most {maxLength} are accepted");
    }

    private static string? PatternType(string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? throw RequestRejectedException.InvalidArgument("pattern_type", "must not be empty (e.g. code, workflow, error, architecture)") : null;
        }
        var type = value.Trim().ToLowerInvariant();
        return MemoryRules.IsIdentifier(type, PatternLimits.MaxTypeLength)
            ? type
            : throw RequestRejectedException.InvalidArgument(
                "pattern_type", $"'{MemoryRules.Shorten(value)}' is not a type name: lower-case letters, digits, _ . - (at most {PatternLimits.MaxTypeLength}), e.g. code, workflow, error");
    }

    private static string? Project(string? value) => ReflectionRules.Name("project", value, ReflectionLimits.MaxProjectLength);
}
