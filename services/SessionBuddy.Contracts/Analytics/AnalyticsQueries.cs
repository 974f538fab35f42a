using System.Text.Json;

namespace SessionBuddy.Contracts.Analytics;

// Requests the gateway sends to the Analytics service. Argument names in RequestRejected replies are the
// snake_case MCP names (hours, days_back, limit, sort_by, ...). Dates travel as ISO 8601 strings so the
// service reports a malformed one against the argument that carried it.

public sealed record GetActivitySummary(double Hours);

public sealed record GetWorkflowMetrics(string? Project, int DaysBack);

public sealed record GetSessionAnalytics(int Limit, string? SortBy);

public sealed record GetPerformanceMetrics(int Minutes);

public sealed record SummarizeSession(Guid SessionId);

public sealed record GetInsights(string? Project, int Days);

/// <summary>Runs one of the predefined read-only queries (<c>list</c> lists them) with its named parameters.</summary>
public sealed record RunAnalyticsQuery(string QueryName, JsonElement? Parameters);

/// <summary>One chunk of a dataset; pass the reply's next_cursor back for the next.</summary>
public sealed record ExportAnalytics(string Dataset, string Format, string? Since, string? Until, int Limit, string? Cursor);

public static class SessionAnalyticsSortKeys
{
    public const string LastActivity = "last_activity";
    public const string Messages = "messages";
    public const string Checkpoints = "checkpoints";
    public const string Created = "created_at";
    public const string Quality = "quality";

    public static readonly IReadOnlyList<string> All = [LastActivity, Messages, Checkpoints, Created, Quality];
}

public static class AnalyticsExportFormats
{
    public const string Csv = "csv";
    public const string Json = "json";

    public static readonly IReadOnlyList<string> All = [Csv, Json];
}
