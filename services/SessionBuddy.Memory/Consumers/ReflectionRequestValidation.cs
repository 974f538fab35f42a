using System.Globalization;
using System.Text.Json;
using SessionBuddy.Contracts;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Memory.Reflections;
using SessionBuddy.Memory.Search;

namespace SessionBuddy.Memory.Consumers;

/// <summary>
/// Turns request messages into validated values, or a <see cref="RequestRejected"/> naming the argument
/// (as the MCP client spelled it) and the fix. Nothing is stored or searched on a rejection.
/// </summary>
public static class ReflectionRequestValidation
{
    public static RequestRejected? TryCreate(StoreReflection message, MemoryOptions options, out NewReflection reflection)
    {
        reflection = null!;
        if (string.IsNullOrWhiteSpace(message.Content))
        {
            return RequestRejected.InvalidArgument("content", "must not be empty");
        }
        if (message.Content.Length > options.MaxContentLength)
        {
            return RequestRejected.InvalidArgument(
                "content", $"is {message.Content.Length} characters long; at most {options.MaxContentLength} are accepted, split it into several reflections");
        }
        if (CheckTags(message.Tags, out var tags) is { } badTags)
        {
            return badTags;
        }
        if (CheckName("project", message.Project, ReflectionLimits.MaxProjectLength, out var project) is { } badProject)
        {
            return badProject;
        }
        if (CheckName("session_id", message.SessionId, ReflectionLimits.MaxProjectLength, out var sessionId) is { } badSession)
        {
            return badSession;
        }
        if (message.Metadata is { } metadata && metadata.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return RequestRejected.InvalidArgument("metadata", $"must be a JSON object, got {metadata.ValueKind.ToString().ToLowerInvariant()}");
        }

        var operationId = message.OperationId == Guid.Empty ? Guid.CreateVersion7() : message.OperationId;
        reflection = new NewReflection(operationId, message.Content, tags, project, sessionId, message.Metadata);
        return null;
    }

    public static RequestRejected? TryCreate(SearchReflections message, out ReflectionQuery query)
    {
        query = null!;
        if (string.IsNullOrWhiteSpace(message.Query))
        {
            return RequestRejected.InvalidArgument("query", "must not be empty");
        }
        if (message.Query.Length > ReflectionLimits.MaxQueryLength)
        {
            return RequestRejected.InvalidArgument("query", $"is {message.Query.Length} characters long; at most {ReflectionLimits.MaxQueryLength} are accepted");
        }
        var limit = message.Limit ?? ReflectionLimits.DefaultSearchLimit;
        if (limit is < 1 or > ReflectionLimits.MaxSearchLimit)
        {
            return RequestRejected.InvalidArgument("limit", $"must be between 1 and {ReflectionLimits.MaxSearchLimit}, got {limit}");
        }
        if (message.MinScore is { } minScore && !double.IsFinite(minScore))
        {
            return RequestRejected.InvalidArgument("min_score", "must be a finite number");
        }
        var mode = message.Mode?.Trim().ToLowerInvariant() ?? SearchModes.Hybrid;
        if (!SearchModes.All.Contains(mode))
        {
            return RequestRejected.InvalidArgument("mode", $"'{message.Mode}' is not a search mode; use one of {string.Join(", ", SearchModes.All)}");
        }
        var tagsMatch = message.TagsMatch?.Trim().ToLowerInvariant() ?? TagMatchModes.Any;
        if (tagsMatch is not (TagMatchModes.Any or TagMatchModes.All))
        {
            return RequestRejected.InvalidArgument("tags_match", $"'{message.TagsMatch}' is not valid; use any or all");
        }
        if (CheckTags(message.Tags, out var tags) is { } badTags)
        {
            return badTags;
        }
        if (CheckName("project", message.Project, ReflectionLimits.MaxProjectLength, out var project) is { } badProject)
        {
            return badProject;
        }
        if (CheckName("session_id", message.SessionId, ReflectionLimits.MaxProjectLength, out var sessionId) is { } badSession)
        {
            return badSession;
        }
        if (CheckDate("since", message.Since, out var since) is { } badSince)
        {
            return badSince;
        }
        if (CheckDate("until", message.Until, out var until) is { } badUntil)
        {
            return badUntil;
        }
        if (since is not null && until is not null && until <= since)
        {
            return RequestRejected.InvalidArgument("until", "must be later than since");
        }

        query = new ReflectionQuery(
            message.Query, limit, message.MinScore, mode,
            new SearchFilter(project, tags.Count > 0 ? tags : null, tagsMatch == TagMatchModes.All, since, until, sessionId, MemoryCategories.Reflection));
        return null;
    }

    internal static RequestRejected? CheckTags(IReadOnlyList<string>? input, out IReadOnlyList<string> tags)
    {
        tags = [];
        if (input is null)
        {
            return null;
        }
        if (input.Count > ReflectionLimits.MaxTags)
        {
            return RequestRejected.InvalidArgument("tags", $"{input.Count} tags given; at most {ReflectionLimits.MaxTags} are accepted");
        }
        var cleaned = new List<string>(input.Count);
        foreach (var tag in input)
        {
            var trimmed = tag?.Trim();
            if (string.IsNullOrEmpty(trimmed))
            {
                return RequestRejected.InvalidArgument("tags", "must not contain empty tags");
            }
            if (trimmed.Length > ReflectionLimits.MaxTagLength)
            {
                return RequestRejected.InvalidArgument("tags", $"a tag may be at most {ReflectionLimits.MaxTagLength} characters long");
            }
            if (!cleaned.Contains(trimmed, StringComparer.Ordinal))
            {
                cleaned.Add(trimmed);
            }
        }
        tags = cleaned;
        return null;
    }

    internal static RequestRejected? CheckName(string argument, string? input, int maxLength, out string? value)
    {
        value = string.IsNullOrWhiteSpace(input) ? null : input.Trim();
        return value is { Length: var length } && length > maxLength
            ? RequestRejected.InvalidArgument(argument, $"may be at most {maxLength} characters long")
            : null;
    }

    internal static RequestRejected? CheckDate(string argument, string? input, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(input.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return RequestRejected.InvalidArgument(argument, $"'{input}' is not an ISO 8601 date or date-time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)");
        }
        value = parsed;
        return null;
    }
}
