namespace SessionBuddy.Contracts.Analytics;

// Units: durations in seconds unless the name says minutes or ms; sizes in bytes; memory in MB; CPU in percent.

public sealed record ActivitySummary(
    double Hours,
    DateTimeOffset Since,
    long ActiveSessions,
    long TotalSessions,
    long SessionsCreated,
    long Messages,
    long ReflectionsStored,
    long Checkpoints,
    IReadOnlyList<RecentSessionActivity> RecentActivity);

public sealed record RecentSessionActivity(
    Guid SessionId, string? Name, string? Project, string Status, long Messages, long Checkpoints, DateTimeOffset? LastActivity);

public sealed record WorkflowMetrics(
    string? Project,
    int DaysBack,
    long WorkflowsCompleted,
    long WorkflowsFailed,
    double AvgDuration,
    long TotalSessions,
    double AvgSessionDurationMinutes,
    double AvgQualityScore,
    string QualityTrend,
    IReadOnlyList<DailyQuality> QualityByDay);

public sealed record DailyQuality(DateOnly Day, long Checkpoints, double AvgQualityScore);

public sealed record SessionAnalytics(
    long TotalSessions,
    long TotalCheckpoints,
    double AvgCheckpointSize,
    double SessionDuration,
    double AvgSessionDuration,
    string SortBy,
    IReadOnlyList<SessionAnalyticsRow> Sessions);

public sealed record SessionAnalyticsRow(
    Guid SessionId,
    string? Name,
    string? Project,
    string Status,
    long Messages,
    long Checkpoints,
    double AvgCheckpointSize,
    int? LastQualityScore,
    double? DurationSeconds,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? LastActivity);

public sealed record PerformanceMetrics(
    int Minutes,
    double CpuUsage,
    double MemoryUsage,
    double ResponseTime,
    ResponseTimePercentiles ResponseTimePercentiles,
    IReadOnlyList<ProcessUsage> Processes);

public sealed record ResponseTimePercentiles(long Calls, long Failed, double P50, double P95, double P99, double Max);

public sealed record ProcessUsage(string Service, string Instance, double CpuUsage, double MemoryUsage, DateTimeOffset SampledAt);

public sealed record SessionSummary(
    Guid SessionId,
    string? Name,
    string? Project,
    string Status,
    bool Deleted,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    double? DurationSeconds,
    long Messages,
    long ContentChars,
    long Checkpoints,
    double AvgCheckpointSize,
    IReadOnlyList<int> QualityScores,
    string QualityTrend,
    long WorkerTasks,
    long WorkerTasksFailed,
    DateTimeOffset? LastActivity,
    string Summary);

public sealed record AnalyticsInsights(string? Project, int Days, IReadOnlyList<Insight> Insights);

/// <summary><see cref="Severity"/>: info, warning or critical. <see cref="Value"/>: the number the rule looked at.</summary>
public sealed record Insight(string Kind, string Severity, string Title, string Detail, double Value);

/// <summary>Rows of a predefined query; every value rendered as text (null stays null), in <see cref="Columns"/> order.</summary>
public sealed record AnalyticsQueryResult(
    string QueryName, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string?>> Rows, IReadOnlyList<AnalyticsQueryInfo> AvailableQueries);

public sealed record AnalyticsQueryInfo(string Name, string Description, IReadOnlyList<string> Parameters);

public sealed record AnalyticsExport(string Dataset, string Format, long Rows, string Content, string? NextCursor);
