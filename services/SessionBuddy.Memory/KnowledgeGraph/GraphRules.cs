using System.Text.Json;
using SessionBuddy.Messaging;

namespace SessionBuddy.Memory.KnowledgeGraph;

/// <summary>Argument checks of the knowledge-graph tools; each failure names the argument and the fix.</summary>
public static class GraphRules
{
    public const int MaxNameLength = 200;
    public const int MaxTypeLength = 100;
    public const int MaxObservationLength = 10_000;
    public const int MaxObservations = 100;
    public const int MaxTextLength = 200_000;
    public const int DefaultPathDepth = 4;
    public const int MaxPathDepth = 6;
    public const int DefaultSearchLimit = 20;
    public const int MaxSearchLimit = 100;

    public static string Name(string? value, string argument) => Text(value, argument, MaxNameLength);

    /// <summary>Types are compared case-insensitively; stored lower-case with inner spaces as underscores.</summary>
    public static string Type(string? value, string argument) =>
        string.Join('_', Text(value, argument, MaxTypeLength).ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    public static string Observation(string? value, string argument = "observation") => Text(value, argument, MaxObservationLength);

    public static IReadOnlyList<string> Observations(IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return [];
        }
        if (values.Count > MaxObservations)
        {
            throw RequestRejectedException.InvalidArgument("observations", $"has {values.Count} items; the limit is {MaxObservations} (add more with add_observation)");
        }
        return values.Select(v => Observation(v, "observations")).Distinct(StringComparer.Ordinal).ToList();
    }

    public static string Properties(JsonElement? properties, string argument = "properties") => properties switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => "{}",
        { ValueKind: JsonValueKind.Object } p => p.GetRawText(),
        _ => throw RequestRejectedException.InvalidArgument(argument, "must be a JSON object"),
    };

    public static string Direction(string? direction)
    {
        if (direction is null)
        {
            return RelationDirections.Both;
        }
        var normalised = direction.Trim().ToLowerInvariant();
        return RelationDirections.All.Contains(normalised)
            ? normalised
            : throw RequestRejectedException.InvalidArgument("direction", $"'{direction}' is not one of {string.Join(", ", RelationDirections.All)}");
    }

    public static int PathDepth(int? depth) => depth switch
    {
        null => DefaultPathDepth,
        >= 1 and <= MaxPathDepth => depth.Value,
        _ => throw RequestRejectedException.InvalidArgument("max_depth", $"is {depth}; it must be between 1 and {MaxPathDepth}"),
    };

    public static int SearchLimit(int? limit) => limit switch
    {
        null => DefaultSearchLimit,
        >= 1 and <= MaxSearchLimit => limit.Value,
        _ => throw RequestRejectedException.InvalidArgument("limit", $"is {limit}; it must be between 1 and {MaxSearchLimit}"),
    };

    public static string ContextText(string? text) => Text(text, "text", MaxTextLength);

    private static string Text(string? value, string argument, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw RequestRejectedException.InvalidArgument(argument, "is required and must not be empty");
        }
        var trimmed = value.Trim();
        return trimmed.Length <= maxLength
            ? trimmed
            : throw RequestRejectedException.InvalidArgument(argument, $"is {trimmed.Length} characters; the limit is {maxLength}");
    }
}
