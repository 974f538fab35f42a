using System.Text.Json;
using SessionBuddy.Contracts.Analytics;

namespace SessionBuddy.Gateway.Tools;

/// <summary>
/// Analytics tools (the four the OpenTelemetry poller of seed 002 reads, and summaries, insights, queries, export):
/// each sends one request to the Analytics service, whose numbers come from the events the other services publish.
/// Ranges and names are checked there. A workflow is a session from its start to completed or failed.
/// </summary>
[McpServerToolType]
public sealed class AnalyticsTools(ServiceRequests requests)
{
    [McpServerTool(Name = "get_activity_summary", UseStructuredContent = true, ReadOnly = true)]
    [Description("Session activity. active_sessions: sessions started (starting or running) and not yet completed, failed or deleted; total_sessions: sessions ever created (worker pools' prepared task sessions included); " +
        "sessions_created, messages, reflections_stored, checkpoints: counts in the last `hours`; recent_activity: up to 10 sessions active in that window, latest first.")]
    public Task<ActivitySummary> GetActivitySummary(
        [Description("Window in hours, more than 0 and at most 8784 (default 2).")] double hours = 2,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetActivitySummary, ActivitySummary>(new GetActivitySummary(hours), cancellationToken);

    [McpServerTool(Name = "get_workflow_metrics", UseStructuredContent = true, ReadOnly = true)]
    [Description("Workflow metrics over the last `days_back` days. A workflow is a session from its start (or creation) to status completed or failed. " +
        "workflows_completed, workflows_failed: counts of workflows that ended in the window; avg_duration: their mean duration, seconds; " +
        "avg_session_duration_minutes: the same mean in minutes; total_sessions: sessions created in the window; avg_quality_score (0-100) and " +
        "quality_trend (improving, declining, stable, insufficient_data) of checkpoints; quality_by_day. With a project the window starts at the whole hour.")]
    public Task<WorkflowMetrics> GetWorkflowMetrics(
        [Description("Only workflows and sessions of this project.")] string? project = null,
        [Description("Window in days, 1..366 (default 30).")] int daysBack = 30,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetWorkflowMetrics, WorkflowMetrics>(new GetWorkflowMetrics(project, daysBack), cancellationToken);

    [McpServerTool(Name = "get_session_analytics", UseStructuredContent = true, ReadOnly = true)]
    [Description("Session statistics, all time. total_checkpoints: count; avg_checkpoint_size: bytes; session_duration (= avg_session_duration): " +
        "mean session duration in seconds, from creation to completed or failed, over the sessions that ended (as the session_buddy.session.duration " +
        "histogram; get_workflow_metrics' avg_duration is from start instead); sessions: the top `limit` sessions by `sort_by`, each with messages, " +
        "checkpoints, avg_checkpoint_size (bytes), last_quality_score, duration_seconds.")]
    public Task<SessionAnalytics> GetSessionAnalytics(
        [Description("Sessions to list, 1..100 (default 20).")] int limit = 20,
        [Description("last_activity (default), messages, checkpoints, created_at or quality; all descending.")] string? sortBy = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetSessionAnalytics, SessionAnalytics>(new GetSessionAnalytics(limit, sortBy), cancellationToken);

    [McpServerTool(Name = "get_performance_metrics", UseStructuredContent = true, ReadOnly = true)]
    [Description("Performance. cpu_usage: percent of the machine's cores used by the SessionBuddy processes (every gateway replica and every " +
        "Sessions, Memory, Analytics, WorkerPool and AkoshaSync process; each reports every 5 s, those heard from in the last 2 minutes count), " +
        "summed; memory_usage: their working sets, MB; response_time: mean tool-call latency at the gateways over the last `minutes`, ms; " +
        "response_time_percentiles: calls, failed, p50, p95, p99, max (ms); processes: each process's service, instance, cpu_usage (%), " +
        "memory_usage (MB) and sampled_at.")]
    public Task<PerformanceMetrics> GetPerformanceMetrics(
        [Description("Latency window in minutes, 1..1440 (default 15).")] int minutes = 15,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetPerformanceMetrics, PerformanceMetrics>(new GetPerformanceMetrics(minutes), cancellationToken);

    [McpServerTool(Name = "summarize_session", UseStructuredContent = true, ReadOnly = true)]
    [Description("One session as analytics saw it: status, times, duration_seconds, messages, checkpoints, quality_scores with their trend, " +
        "worker tasks, and a one-line summary.")]
    public Task<SessionSummary> SummarizeSession(
        [Description("Session id (UUID).")] string sessionId,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<SummarizeSession, SessionSummary>(new SummarizeSession(ToolArguments.Id(sessionId, "session_id")), cancellationToken);

    [McpServerTool(Name = "get_insights", UseStructuredContent = true, ReadOnly = true)]
    [Description("Rule-based insights over the last `days`: quality trend, workflow failure rate, failure hot spots by worker type, " +
        "active sessions without checkpoints, slow tools. Each has kind, severity (info, warning, critical), title, detail and the value it judged.")]
    public Task<AnalyticsInsights> GetInsights(
        [Description("Only this project (quality, workflows, sessions).")] string? project = null,
        [Description("Window in days, 1..366 (default 30).")] int days = 30,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<GetInsights, AnalyticsInsights>(new GetInsights(project, days), cancellationToken);

    [McpServerTool(Name = "query_analytics", UseStructuredContent = true, ReadOnly = true)]
    [Description("Run a predefined read-only query with named parameters: sessions_by_project(days), daily_activity(days), " +
        "top_sessions_by_messages(limit, project), worker_failures_by_type(days), quality_by_day(days, project), " +
        "sessions_without_checkpoints(older_than_hours, limit), workflow_outcomes(days), slow_tools(minutes, limit). " +
        "query_name=list describes them with ranges and defaults. Returns columns and rows (values as text).")]
    public Task<AnalyticsQueryResult> QueryAnalytics(
        [Description("A query name, or list.")] string queryName,
        [Description("JSON object of the query's parameters, e.g. {\"days\": 7}.")] JsonElement? parameters = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<RunAnalyticsQuery, AnalyticsQueryResult>(new RunAnalyticsQuery(queryName, parameters), cancellationToken);

    [McpServerTool(Name = "export_analytics", UseStructuredContent = true, ReadOnly = true)]
    [Description("Export a dataset (sessions, checkpoints, workflows, worker_tasks, pool_runs: one row per collection of a worker pool's " +
        "results, with tasks and failed) in time order as csv (with a header row) or json (an array " +
        "of objects), at most `limit` rows per call; when next_cursor is set, pass it back as cursor for the next chunk.")]
    public Task<AnalyticsExport> ExportAnalytics(
        [Description("sessions, checkpoints, workflows, worker_tasks or pool_runs.")] string dataset,
        [Description("csv (default) or json.")] string format = AnalyticsExportFormats.Csv,
        [Description("Rows at or after this ISO 8601 time.")] string? since = null,
        [Description("Rows before this ISO 8601 time.")] string? until = null,
        [Description("Rows per chunk, 1..10000 (default 1000).")] int limit = 1000,
        [Description("next_cursor from the previous chunk.")] string? cursor = null,
        CancellationToken cancellationToken = default) =>
        requests.SendAsync<ExportAnalytics, AnalyticsExport>(new ExportAnalytics(dataset, format, since, until, limit, cursor), cancellationToken);
}
