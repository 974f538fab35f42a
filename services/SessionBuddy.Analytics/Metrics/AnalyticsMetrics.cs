using System.Diagnostics.Metrics;

namespace SessionBuddy.Analytics.Metrics;

/// <summary>
/// The <c>session_buddy.*</c> instruments of seed 002. Counters and gauges report the latest
/// <see cref="AnalyticsSnapshot"/> (the same numbers the analytics tools return, read from analyticsdb), so every
/// replica reports the same value: aggregate them across replicas with max, not sum. Histograms are recorded
/// by the projections once per applied event (the inbox admits each event to one replica only), so they add up
/// across replicas.
/// </summary>
public sealed class AnalyticsMetrics : IDisposable
{
    public const string MeterName = "SessionBuddy.Analytics";

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _workflowDuration;
    private readonly Histogram<double> _sessionDuration;
    private readonly Histogram<long> _checkpointSize;
    private volatile AnalyticsSnapshot _snapshot = AnalyticsSnapshot.Empty;

    public AnalyticsMetrics()
    {
        _meter.CreateObservableCounter("session_buddy.sessions.total", () => _snapshot.TotalSessions, "{session}", "Sessions created, all time");
        _meter.CreateObservableCounter("session_buddy.workflows.completed", () => _snapshot.WorkflowsCompleted, "{workflow}",
            "Workflows (sessions from start to end) that ended completed, all time");
        _meter.CreateObservableCounter("session_buddy.workflows.failed", () => _snapshot.WorkflowsFailed, "{workflow}",
            "Workflows (sessions from start to end) that ended failed, all time");
        _meter.CreateObservableCounter("session_buddy.checkpoints.total", () => _snapshot.TotalCheckpoints, "{checkpoint}", "Checkpoints, all time");
        _meter.CreateObservableGauge("session_buddy.sessions.active", () => _snapshot.ActiveSessions, "{session}",
            "Sessions starting or running (not completed, failed or deleted)");
        _meter.CreateObservableGauge("session_buddy.performance.cpu_usage", () => _snapshot.CpuPercent, "%",
            "CPU used by the SessionBuddy processes (services and gateways), percent of the machine's cores");
        _meter.CreateObservableGauge("session_buddy.performance.memory_usage", () => _snapshot.MemoryMb, "MBy",
            "Working sets of the SessionBuddy processes (services and gateways), megabytes");
        _meter.CreateObservableGauge("session_buddy.performance.response_time", () => _snapshot.ResponseTimeMs, "ms",
            "Mean tool-call latency at the gateway over the last minutes");
        _workflowDuration = _meter.CreateHistogram<double>("session_buddy.workflow.duration", "s", "Workflow duration: session start to completed or failed");
        _sessionDuration = _meter.CreateHistogram<double>("session_buddy.session.duration", "s", "Session duration: creation to completed or failed");
        _checkpointSize = _meter.CreateHistogram<long>("session_buddy.checkpoint.size", "By", "Checkpoint size (summary, state, quality breakdown)");
    }

    public void Update(AnalyticsSnapshot snapshot) => _snapshot = snapshot;

    public void WorkflowEnded(string outcome, double workflowSeconds, double sessionSeconds)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _workflowDuration.Record(workflowSeconds, tag);
        _sessionDuration.Record(sessionSeconds, tag);
    }

    public void CheckpointCreated(long sizeBytes) => _checkpointSize.Record(sizeBytes);

    public void Dispose() => _meter.Dispose();
}

/// <summary>The all-time counters and current gauges, as read from analyticsdb.</summary>
public sealed record AnalyticsSnapshot(
    long TotalSessions, long ActiveSessions, long WorkflowsCompleted, long WorkflowsFailed, long TotalCheckpoints,
    double CpuPercent, double MemoryMb, double ResponseTimeMs)
{
    public static readonly AnalyticsSnapshot Empty = new(0, 0, 0, 0, 0, 0, 0, 0);
}
