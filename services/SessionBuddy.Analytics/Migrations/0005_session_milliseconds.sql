-- get_session_analytics' session_duration is the mean session duration (creation to completed or failed), as the
-- session_buddy.session.duration histogram records it: its all-time sum, from the workflows that ended so far.
INSERT INTO analytics_totals (name, value)
SELECT 'session_milliseconds', coalesce(round(sum(session_seconds) * 1000), 0)::bigint FROM workflow_runs
ON CONFLICT (name) DO NOTHING;
