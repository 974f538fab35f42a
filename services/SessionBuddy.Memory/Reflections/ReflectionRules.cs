using System.Globalization;
using System.Text.Json;
using SessionBuddy.Memory.Search;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.Reflections;

/// <summary>
/// Validation of the reflection requests, and the checks the other memory requests share (tags, names, dates). Throws
/// <see cref="RequestRejectedException"/> naming the argument as the MCP client spelled it, and the fix; nothing is
/// stored or searched on a rejection.
/// </summary>
public static class ReflectionRules
{
    public static NewReflection Validate(StoreReflection message, MemoryOptions options)
    {
        if (string.IsNullOrWhiteSpace(message.Content))
        {
            throw RequestRejectedException.InvalidArgument("content", "must not be empty");
        }
        if (message.Content.Length > options.MaxContentLength)
        {
            throw RequestRejectedException.InvalidArgument(
                "content", $"is {message.Content.Length} characters long; at most {options.MaxContentLength} are accepted, split it into several reflections");
        }
        var tags = Tags(message.Tags);
        var project = Name("project", message.Project, ReflectionLimits.MaxProjectLength);
        var sessionId = Name("session_id", message.SessionId, ReflectionLimits.MaxProjectLength);
        if (message.Metadata is { } metadata && metadata.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            throw RequestRejectedException.InvalidArgument("metadata", $"must be a JSON object, got {metadata.ValueKind.ToString().ToLowerInvariant()}");
        }

        var operationId = message.OperationId == Guid.Empty ? Guid.CreateVersion7() : message.OperationId;
        return new NewReflection(operationId, message.Content, tags, project, sessionId, message.Metadata);
    }

    public static ReflectionQuery Validate(SearchReflections message)
    {
        if (string.IsNullOrWhiteSpace(message.Query))
        {
            throw RequestRejectedException.InvalidArgument("query", "must not be empty");
        }
        if (message.Query.Length > ReflectionLimits.MaxQueryLength)
        {
            throw RequestRejectedException.InvalidArgument("query", $"is {message.Query.Length} characters long; at most {ReflectionLimits.MaxQueryLength} are accepted");
        }
        var limit = message.Limit ?? ReflectionLimits.DefaultSearchLimit;
        if (limit is < 1 or > ReflectionLimits.MaxSearchLimit)
        {
            throw RequestRejectedException.InvalidArgument("limit", $"must be between 1 and {ReflectionLimits.MaxSearchLimit}, got {limit}");
        }
        if (message.MinScore is { } minScore && !double.IsFinite(minScore))
        {
            throw RequestRejectedException.InvalidArgument("min_score", "must be a finite number");
        }
        var mode = message.Mode?.Trim().ToLowerInvariant() ?? SearchModes.Hybrid;
        if (!SearchModes.All.Contains(mode))
        {
            throw RequestRejectedException.InvalidArgument("mode", $"'{message.Mode}' is not a search mode; use one of {string.Join(", ", SearchModes.All)}");
        }
        var tagsMatch = message.TagsMatch?.Trim().ToLowerInvariant() ?? TagMatchModes.Any;
        if (tagsMatch is not (TagMatchModes.Any or TagMatchModes.All))
        {
            throw RequestRejectedException.InvalidArgument("tags_match", $"'{message.TagsMatch}' is not valid; use any or all");
        }
        var tags = Tags(message.Tags);
        var project = Name("project", message.Project, ReflectionLimits.MaxProjectLength);
        var sessionId = Name("session_id", message.SessionId, ReflectionLimits.MaxProjectLength);
        var since = Date("since", message.Since);
        var until = Date("until", message.Until);
        if (since is not null && until is not null && until <= since)
        {
            throw RequestRejectedException.InvalidArgument("until", "must be later than since");
        }

        return new ReflectionQuery(
            message.Query, limit, message.MinScore, mode,
            new SearchFilter(project, tags.Count > 0 ? tags : null, tagsMatch == TagMatchModes.All, since, until, sessionId, MemoryCategories.Reflection));
    }

    /// <summary>Trimmed, without duplicates; at most <see cref="ReflectionLimits.MaxTags"/>, none empty or too long.</summary>
    public static IReadOnlyList<string> Tags(IReadOnlyList<string>? input)
    {
        if (input is null)
        {
            return [];
        }
        if (input.Count > ReflectionLimits.MaxTags)
        {
            throw RequestRejectedException.InvalidArgument("tags", $"{input.Count} tags given; at most {ReflectionLimits.MaxTags} are accepted");
        }
        var cleaned = new List<string>(input.Count);
        foreach (var tag in input)
        {
            var trimmed = tag?.Trim();
            if (string.IsNullOrEmpty(trimmed))
            {
                throw RequestRejectedException.InvalidArgument("tags", "must not contain empty tags");
            }
            if (trimmed.Length > ReflectionLimits.MaxTagLength)
            {
                throw RequestRejectedException.InvalidArgument("tags", $"a tag may be at most {ReflectionLimits.MaxTagLength} characters long");
            }
            if (!cleaned.Contains(trimmed, StringComparer.Ordinal))
            {
                cleaned.Add(trimmed);
            }
        }
        return cleaned;
    }

    /// <summary>A project or session name: trimmed, null when blank, at most <paramref name="maxLength"/> characters.</summary>
    public static string? Name(string argument, string? input, int maxLength)
    {
        var value = string.IsNullOrWhiteSpace(input) ? null : input.Trim();
        return value is { Length: var length } && length > maxLength
            ? throw RequestRejectedException.InvalidArgument(argument, $"may be at most {maxLength} characters long")
            : value;
    }

    /// <summary>An ISO 8601 date or date-time (UTC when no offset is given); null when blank.</summary>
    public static DateTimeOffset? Date(string argument, string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }
        return DateTimeOffset.TryParse(input.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : throw RequestRejectedException.InvalidArgument(argument, $"'{input}' is not an ISO 8601 date or date-time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)");
    }
}
