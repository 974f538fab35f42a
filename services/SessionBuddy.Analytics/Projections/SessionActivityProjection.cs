using NpgsqlTypes;
using SessionBuddy.Analytics.Metrics;
using SessionBuddy.Contracts.Memory;
using SessionBuddy.Contracts.Sessions;

namespace SessionBuddy.Analytics.Projections;

/// <summary>
/// Applies session events to <c>session_activity</c>, <c>workflow_runs</c> and <c>checkpoint_activity</c>, with
/// per-minute counts and all-time totals. Events of one session may arrive in any order (they travel on different
/// queues), hence upserts everywhere and a status that only moves forward in time. Histograms are recorded after
/// commit, once per accepted event.
/// </summary>
public sealed class SessionActivityProjection(EventBatches batches, AnalyticsMetrics metrics)
{
    private const string CreatedSql =
        """
        INSERT INTO session_activity (session_id, name, project, created_at, last_activity)
        SELECT s.id, s.name, s.project, s.at, s.at FROM unnest(@ids, @names, @projects, @ats) AS s (id, name, project, at)
        ON CONFLICT (session_id) DO UPDATE SET name = excluded.name, project = excluded.project, created_at = excluded.created_at,
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """;

    private const string MessagesSql =
        """
        INSERT INTO session_activity (session_id, message_count, content_chars, last_activity)
        SELECT * FROM unnest(@ids, @messages, @chars, @ats)
        ON CONFLICT (session_id) DO UPDATE SET
            message_count = session_activity.message_count + excluded.message_count,
            content_chars = session_activity.content_chars + excluded.content_chars,
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """;

    private const string DeletedSql =
        """
        INSERT INTO session_activity (session_id, deleted_at) SELECT * FROM unnest(@ids, @ats)
        ON CONFLICT (session_id) DO UPDATE SET deleted_at = excluded.deleted_at
        """;

    // The newest change wins; an older one arriving late only fills in what is missing.
    private const string StatusSql =
        """
        INSERT INTO session_activity (session_id, project, created_at, status, status_at, started_at, ended_at, last_activity)
        SELECT s.id, s.project, s.created, s.status, s.at, s.started, CASE WHEN s.status IN ('completed', 'failed') THEN s.at END, s.at
        FROM unnest(@ids, @projects, @createds, @statuses, @ats, @starteds) AS s (id, project, created, status, at, started)
        ON CONFLICT (session_id) DO UPDATE SET
            project = COALESCE(session_activity.project, excluded.project),
            created_at = COALESCE(session_activity.created_at, excluded.created_at),
            status = CASE WHEN session_activity.status_at IS NULL OR session_activity.status_at <= excluded.status_at
                          THEN excluded.status ELSE session_activity.status END,
            ended_at = CASE WHEN session_activity.status_at IS NULL OR session_activity.status_at <= excluded.status_at
                            THEN excluded.ended_at ELSE session_activity.ended_at END,
            status_at = GREATEST(session_activity.status_at, excluded.status_at),
            started_at = COALESCE(excluded.started_at, session_activity.started_at),
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """;

    private const string WorkflowRunsSql =
        """
        INSERT INTO workflow_runs (session_id, ended_at, project, outcome, started_at, duration_seconds, session_seconds)
        SELECT * FROM unnest(@ids, @ats, @projects, @outcomes, @starteds, @durations, @session_durations)
        ON CONFLICT DO NOTHING
        """;

    private const string CheckpointsSql =
        """
        INSERT INTO checkpoint_activity (checkpoint_id, session_id, sequence, quality_score, size_bytes, created_at)
        SELECT * FROM unnest(@checkpoint_ids, @session_ids, @sequences, @scores, @sizes, @ats)
        ON CONFLICT DO NOTHING
        """;

    private const string CheckpointSessionsSql =
        """
        INSERT INTO session_activity (session_id, checkpoint_count, checkpoint_bytes, last_quality, last_quality_at, last_activity)
        SELECT * FROM unnest(@ids, @counts, @bytes, @qualities, @ats, @ats)
        ON CONFLICT (session_id) DO UPDATE SET
            checkpoint_count = session_activity.checkpoint_count + excluded.checkpoint_count,
            checkpoint_bytes = session_activity.checkpoint_bytes + excluded.checkpoint_bytes,
            last_quality = CASE WHEN session_activity.last_quality_at IS NULL OR session_activity.last_quality_at <= excluded.last_quality_at
                                THEN excluded.last_quality ELSE session_activity.last_quality END,
            last_quality_at = GREATEST(session_activity.last_quality_at, excluded.last_quality_at),
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """;

    private const string StartedSql =
        """
        INSERT INTO session_activity (session_id, project, started_at, last_activity) SELECT * FROM unnest(@ids, @projects, @ats, @ats)
        ON CONFLICT (session_id) DO UPDATE SET
            project = COALESCE(session_activity.project, excluded.project),
            started_at = COALESCE(session_activity.started_at, excluded.started_at),
            last_activity = GREATEST(session_activity.last_activity, excluded.last_activity)
        """;

    /// <summary>SessionCreated in batches (every worker task creates a session, so these come in bursts).</summary>
    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, SessionCreated Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(SessionCreated), (accepted, batch) =>
        {
            var rows = accepted.GroupBy(c => c.SessionId).Select(g => g.Last()).OrderBy(c => c.SessionId).ToList();
            var command = EventBatches.Command(batch, CreatedSql);
            command.Parameters.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            command.Parameters.AddWithValue("names", rows.Select(r => r.Name).ToArray());
            command.Parameters.AddWithValue("projects", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Project).ToArray());
            command.Parameters.AddWithValue("ats", rows.Select(r => r.CreatedAt).ToArray());
            EventBatches.Tally(batch, ActivityKinds.SessionsCreated, accepted.Select(c => new Tallied(c.CreatedAt, EventBatches.ProjectScope(c.Project))));
            EventBatches.AddToTotals(batch, (ActivityKinds.Sessions, accepted.Count));
            return Task.CompletedTask;
        }, ct);

    /// <summary>MessageAdded in batches: one upsert adding up the accepted events per session.</summary>
    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, MessageAdded Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(MessageAdded), (accepted, batch) =>
        {
            var rows = accepted.GroupBy(a => a.SessionId)
                .Select(g => (SessionId: g.Key, Messages: (long)g.Count(), Chars: g.Sum(a => (long)a.ContentLength), At: g.Max(a => a.CreatedAt)))
                .OrderBy(r => r.SessionId).ToList();
            var command = EventBatches.Command(batch, MessagesSql);
            command.Parameters.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            command.Parameters.AddWithValue("messages", rows.Select(r => r.Messages).ToArray());
            command.Parameters.AddWithValue("chars", rows.Select(r => r.Chars).ToArray());
            command.Parameters.AddWithValue("ats", rows.Select(r => r.At).ToArray());
            EventBatches.CountPerMinute(batch, ActivityKinds.Messages, accepted.Select(a => a.CreatedAt));
            return Task.CompletedTask;
        }, ct);

    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, SessionDeleted Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(SessionDeleted), (accepted, batch) =>
        {
            var rows = accepted.GroupBy(d => d.SessionId).Select(g => g.Last()).OrderBy(d => d.SessionId).ToList();
            var command = EventBatches.Command(batch, DeletedSql);
            command.Parameters.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            command.Parameters.AddWithValue("ats", rows.Select(r => r.DeletedAt).ToArray());
            return Task.CompletedTask;
        }, ct);

    /// <summary>
    /// SessionStatusChanged: the session's current status, and a workflow run for every change to completed or
    /// failed (duration from the session's start, or its creation when it was never started explicitly).
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<(Guid MessageId, SessionStatusChanged Event)> events, CancellationToken ct)
    {
        var accepted = await batches.ApplyAsync(events, nameof(SessionStatusChanged), (accepted, batch) =>
        {
            var latest = accepted.GroupBy(c => c.SessionId).Select(g => g.MaxBy(c => c.ChangedAt)!).OrderBy(c => c.SessionId).ToList();
            var status = EventBatches.Command(batch, StatusSql);
            status.Parameters.AddWithValue("ids", latest.Select(c => c.SessionId).ToArray());
            status.Parameters.AddWithValue("projects", NpgsqlDbType.Array | NpgsqlDbType.Text, latest.Select(c => c.Project).ToArray());
            status.Parameters.AddWithValue("createds", latest.Select(c => c.CreatedAt).ToArray());
            status.Parameters.AddWithValue("statuses", latest.Select(c => c.To).ToArray());
            status.Parameters.AddWithValue("ats", latest.Select(c => c.ChangedAt).ToArray());
            status.Parameters.AddWithValue("starteds", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
                latest.Select(c => accepted.Where(a => a.SessionId == c.SessionId).Select(a => a.StartedAt).Max()).ToArray());

            var ends = WorkflowEnds(accepted);
            if (ends.Count > 0)
            {
                var runs = EventBatches.Command(batch, WorkflowRunsSql);
                runs.Parameters.AddWithValue("ids", ends.Select(e => e.SessionId).ToArray());
                runs.Parameters.AddWithValue("ats", ends.Select(e => e.ChangedAt).ToArray());
                runs.Parameters.AddWithValue("projects", NpgsqlDbType.Array | NpgsqlDbType.Text, ends.Select(e => e.Project).ToArray());
                runs.Parameters.AddWithValue("outcomes", ends.Select(e => e.To).ToArray());
                runs.Parameters.AddWithValue("starteds", ends.Select(WorkflowStart).ToArray());
                runs.Parameters.AddWithValue("durations", ends.Select(WorkflowSeconds).ToArray());
                runs.Parameters.AddWithValue("session_durations", ends.Select(SessionSeconds).ToArray());
                EventBatches.Tally(batch, ActivityKinds.WorkflowsCompleted,
                    ends.Where(e => e.To == SessionStatuses.Completed).Select(e => new Tallied(e.ChangedAt, EventBatches.ProjectScope(e.Project), 0, WorkflowSeconds(e))));
                EventBatches.Tally(batch, ActivityKinds.WorkflowsFailed,
                    ends.Where(e => e.To == SessionStatuses.Failed).Select(e => new Tallied(e.ChangedAt, EventBatches.ProjectScope(e.Project), 0, WorkflowSeconds(e))));
                EventBatches.AddToTotals(batch,
                    (ActivityKinds.WorkflowsCompleted, ends.Count(e => e.To == SessionStatuses.Completed)),
                    (ActivityKinds.WorkflowsFailed, ends.Count(e => e.To == SessionStatuses.Failed)),
                    (ActivityKinds.WorkflowMilliseconds, (long)Math.Round(ends.Sum(WorkflowSeconds) * 1000)),
                    (ActivityKinds.SessionMilliseconds, (long)Math.Round(ends.Sum(SessionSeconds) * 1000)));
            }
            return Task.CompletedTask;
        }, ct);
        foreach (var end in WorkflowEnds(accepted))
        {
            metrics.WorkflowEnded(end.To, WorkflowSeconds(end), SessionSeconds(end));
        }
    }

    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, SessionStarted Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(SessionStarted), (accepted, batch) =>
        {
            var rows = accepted.GroupBy(s => s.SessionId).Select(g => g.MinBy(s => s.StartedAt)!).OrderBy(s => s.SessionId).ToList();
            var command = EventBatches.Command(batch, StartedSql);
            command.Parameters.AddWithValue("ids", rows.Select(r => r.SessionId).ToArray());
            command.Parameters.AddWithValue("projects", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Project).ToArray());
            command.Parameters.AddWithValue("ats", rows.Select(r => r.StartedAt).ToArray());
            return Task.CompletedTask;
        }, ct);

    /// <summary>CheckpointCreated (also the final checkpoint an end writes): per checkpoint and per session.</summary>
    public async Task ApplyAsync(IReadOnlyList<(Guid MessageId, CheckpointCreated Event)> events, CancellationToken ct)
    {
        var accepted = await batches.ApplyAsync(events, nameof(CheckpointCreated), (accepted, batch) =>
        {
            var checkpoints = accepted.GroupBy(c => c.CheckpointId).Select(g => g.First()).OrderBy(c => c.CheckpointId).ToList();
            var rows = EventBatches.Command(batch, CheckpointsSql);
            rows.Parameters.AddWithValue("checkpoint_ids", checkpoints.Select(c => c.CheckpointId).ToArray());
            rows.Parameters.AddWithValue("session_ids", checkpoints.Select(c => c.SessionId).ToArray());
            rows.Parameters.AddWithValue("sequences", checkpoints.Select(c => c.Sequence).ToArray());
            rows.Parameters.AddWithValue("scores", checkpoints.Select(c => c.QualityScore).ToArray());
            rows.Parameters.AddWithValue("sizes", checkpoints.Select(c => c.SizeBytes).ToArray());
            rows.Parameters.AddWithValue("ats", checkpoints.Select(c => c.CreatedAt).ToArray());

            var sessions = checkpoints.GroupBy(c => c.SessionId).OrderBy(g => g.Key)
                .Select(g => (SessionId: g.Key, Count: (long)g.Count(), Bytes: g.Sum(c => c.SizeBytes), Last: g.MaxBy(c => c.CreatedAt)!))
                .ToList();
            var perSession = EventBatches.Command(batch, CheckpointSessionsSql);
            perSession.Parameters.AddWithValue("ids", sessions.Select(s => s.SessionId).ToArray());
            perSession.Parameters.AddWithValue("counts", sessions.Select(s => s.Count).ToArray());
            perSession.Parameters.AddWithValue("bytes", sessions.Select(s => s.Bytes).ToArray());
            perSession.Parameters.AddWithValue("qualities", sessions.Select(s => s.Last.QualityScore).ToArray());
            perSession.Parameters.AddWithValue("ats", sessions.Select(s => s.Last.CreatedAt).ToArray());

            EventBatches.Tally(batch, ActivityKinds.Checkpoints, checkpoints.Select(c => new Tallied(c.CreatedAt, EventBatches.ProjectScope(c.Project), c.QualityScore)));
            EventBatches.AddToTotals(batch, (ActivityKinds.Checkpoints, checkpoints.Count), (ActivityKinds.CheckpointBytes, checkpoints.Sum(c => c.SizeBytes)));
            return Task.CompletedTask;
        }, ct);
        foreach (var checkpoint in accepted.DistinctBy(c => c.CheckpointId))
        {
            metrics.CheckpointCreated(checkpoint.SizeBytes);
        }
    }

    /// <summary>ReflectionAdded: per-minute counts of stored reflections (category reflection; other memories are not reflections).</summary>
    public Task ApplyAsync(IReadOnlyList<(Guid MessageId, ReflectionAdded Event)> events, CancellationToken ct) =>
        batches.ApplyAsync(events, nameof(ReflectionAdded), (accepted, batch) =>
        {
            EventBatches.CountPerMinute(batch, ActivityKinds.Reflections,
                accepted.Where(r => r.Category == MemoryCategories.Reflection).DistinctBy(r => r.ReflectionId).Select(r => r.CreatedAt));
            return Task.CompletedTask;
        }, ct);

    private static List<SessionStatusChanged> WorkflowEnds(IEnumerable<SessionStatusChanged> changes) =>
        [.. changes.Where(c => c.To is SessionStatuses.Completed or SessionStatuses.Failed && c.From != c.To)
            .DistinctBy(c => (c.SessionId, c.ChangedAt)).OrderBy(c => c.SessionId).ThenBy(c => c.ChangedAt)];

    private static DateTimeOffset WorkflowStart(SessionStatusChanged end) => end.StartedAt ?? end.CreatedAt;

    private static double WorkflowSeconds(SessionStatusChanged end) => Math.Max(0, (end.ChangedAt - WorkflowStart(end)).TotalSeconds);

    private static double SessionSeconds(SessionStatusChanged end) => Math.Max(0, (end.ChangedAt - end.CreatedAt).TotalSeconds);
}
