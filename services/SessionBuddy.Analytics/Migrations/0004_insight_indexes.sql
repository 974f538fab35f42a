-- get_insights counts active sessions without a checkpoint by creation time: an index-only scan of just those rows.
CREATE INDEX session_activity_without_checkpoints ON session_activity (created_at) INCLUDE (project)
    WHERE deleted_at IS NULL AND status IN ('starting', 'running') AND checkpoint_count = 0;

-- Latency windows read tool and duration by time: an index-only scan instead of the table's heap.
DROP INDEX tool_call_samples_at;
CREATE INDEX tool_call_samples_at ON tool_call_samples (at) INCLUDE (tool, duration_ms, failed);

-- export_analytics pages sessions by (created_at, session_id): each chunk starts from the cursor in this index.
CREATE INDEX session_activity_export ON session_activity (created_at, session_id);
