using NpgsqlTypes;
using SessionBuddy.Contracts.Workers;

namespace SessionBuddy.Analytics.Projections;

/// <summary>Worker task outcomes (<c>worker_task_activity</c>) and pool result collections (<c>pool_runs</c>).</summary>
public sealed class WorkerActivityProjection(EventBatches batches)
{
    private const string TasksSql =
        """
        INSERT INTO worker_task_activity (task_id, worker_type, status, duration_seconds, pool_id, session_id, completed_at)
        SELECT * FROM unnest(@ids, @types, @statuses, @durations, @pools, @sessions, @ats)
        ON CONFLICT (task_id) DO NOTHING
        """;

    private const string PoolRunsSql =
        """
        INSERT INTO pool_runs (pool_id, collected_at, tasks, failed)
        SELECT * FROM unnest(@pools, @ats, @tasks, @failed)
        ON CONFLICT DO NOTHING
        """;

    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, WorkerTaskCompleted Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(WorkerTaskCompleted), (accepted, batch) =>
        {
            var tasks = accepted.GroupBy(t => t.TaskId).Select(g => g.Last()).OrderBy(t => t.TaskId).ToList();
            var command = EventBatches.Command(batch, TasksSql);
            command.Parameters.AddWithValue("ids", tasks.Select(t => t.TaskId).ToArray());
            command.Parameters.AddWithValue("types", tasks.Select(t => t.WorkerType).ToArray());
            command.Parameters.AddWithValue("statuses", tasks.Select(t => t.Status).ToArray());
            command.Parameters.AddWithValue("durations", tasks.Select(t => t.DurationSeconds).ToArray());
            command.Parameters.AddWithValue("pools", NpgsqlDbType.Array | NpgsqlDbType.Text, tasks.Select(t => t.PoolId).ToArray());
            command.Parameters.AddWithValue("sessions", NpgsqlDbType.Array | NpgsqlDbType.Uuid, tasks.Select(t => t.SessionId).ToArray());
            command.Parameters.AddWithValue("ats", tasks.Select(t => t.Timestamp).ToArray());
            EventBatches.Tally(batch, ActivityKinds.WorkerTasks, tasks.Select(t => new Tallied(
                t.Timestamp, EventBatches.WorkerTypeScope(t.WorkerType), t.Status == WorkerTaskStatuses.Completed ? 0 : 1, t.DurationSeconds)));
            return Task.CompletedTask;
        }, ct);

    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, PoolResultsCollected Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(PoolResultsCollected), (accepted, batch) =>
        {
            var runs = accepted.DistinctBy(r => (r.PoolId, r.CollectedAt)).OrderBy(r => r.PoolId, StringComparer.Ordinal).ToList();
            var command = EventBatches.Command(batch, PoolRunsSql);
            command.Parameters.AddWithValue("pools", runs.Select(r => r.PoolId).ToArray());
            command.Parameters.AddWithValue("ats", runs.Select(r => r.CollectedAt).ToArray());
            command.Parameters.AddWithValue("tasks", runs.Select(r => r.Results.Count).ToArray());
            command.Parameters.AddWithValue("failed", runs.Select(r => r.Results.Count(t => t.Status != WorkerTaskStatuses.Completed)).ToArray());
            return Task.CompletedTask;
        }, ct);
}
