-- Analytics' projections of the events other services publish. Nothing here is read from another
-- service's database: every number the analytics tools report comes from these tables.

-- Status as of the newest SessionStatusChanged applied (status_at), whatever order events arrive in.
ALTER TABLE session_activity
    ADD COLUMN status           text   NOT NULL DEFAULT 'created',
    ADD COLUMN status_at        timestamptz,
    ADD COLUMN started_at       timestamptz,
    ADD COLUMN ended_at         timestamptz,
    ADD COLUMN checkpoint_count bigint NOT NULL DEFAULT 0,
    ADD COLUMN checkpoint_bytes bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_quality     int,
    ADD COLUMN last_quality_at  timestamptz;

CREATE INDEX session_activity_last_activity ON session_activity (last_activity DESC NULLS LAST) WHERE deleted_at IS NULL;
CREATE INDEX session_activity_active ON session_activity (status) WHERE deleted_at IS NULL AND status IN ('starting', 'running');
CREATE INDEX session_activity_messages ON session_activity (message_count DESC) WHERE deleted_at IS NULL;
CREATE INDEX session_activity_checkpoints ON session_activity (checkpoint_count DESC) WHERE deleted_at IS NULL;
CREATE INDEX session_activity_quality ON session_activity (last_quality DESC NULLS LAST) WHERE deleted_at IS NULL;
CREATE INDEX session_activity_created ON session_activity (created_at DESC NULLS LAST) WHERE deleted_at IS NULL;
CREATE INDEX session_activity_project ON session_activity (project, created_at);

-- A workflow is a session from its start to completed or failed: one row per such transition.
CREATE TABLE workflow_runs (
    session_id       uuid        NOT NULL,
    ended_at         timestamptz NOT NULL,
    project          text,
    outcome          text        NOT NULL,
    started_at       timestamptz NOT NULL,
    duration_seconds double precision NOT NULL,
    session_seconds  double precision NOT NULL,
    PRIMARY KEY (session_id, ended_at)
);
CREATE INDEX workflow_runs_ended ON workflow_runs (ended_at) INCLUDE (outcome, duration_seconds, session_seconds, project);

CREATE TABLE checkpoint_activity (
    checkpoint_id uuid PRIMARY KEY,
    session_id    uuid        NOT NULL,
    sequence      bigint      NOT NULL,
    quality_score int         NOT NULL,
    size_bytes    bigint      NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX checkpoint_activity_created ON checkpoint_activity (created_at) INCLUDE (quality_score, size_bytes, session_id);
CREATE INDEX checkpoint_activity_session ON checkpoint_activity (session_id, sequence);

CREATE TABLE worker_task_activity (
    task_id          uuid PRIMARY KEY,
    worker_type      text        NOT NULL,
    status           text        NOT NULL,
    duration_seconds double precision NOT NULL,
    pool_id          text,
    session_id       uuid,
    completed_at     timestamptz NOT NULL
);
CREATE INDEX worker_task_activity_completed ON worker_task_activity (completed_at) INCLUDE (worker_type, status, duration_seconds);

CREATE TABLE pool_runs (
    pool_id      text        NOT NULL,
    collected_at timestamptz NOT NULL,
    tasks        int         NOT NULL,
    failed       int         NOT NULL,
    PRIMARY KEY (pool_id, collected_at)
);

-- Event tallies per kind (sessions_created, messages, reflections, checkpoints, workflows_completed,
-- workflows_failed) and time bucket: count, quality points (checkpoints) and seconds (workflow durations).
-- A window reads whole hours from activity_hours and the minutes of its leading partial hour from
-- activity_minutes, so a 30-day report reads about 720 rows per kind however many events there were.
-- scope: 'all', or 'project:' || name for the kinds whose events name a project.
CREATE TABLE activity_minutes (
    kind    text             NOT NULL,
    minute  timestamptz      NOT NULL,
    count   bigint           NOT NULL,
    points  bigint           NOT NULL,
    seconds double precision NOT NULL,
    PRIMARY KEY (kind, minute)
);

CREATE TABLE activity_hours (
    kind    text             NOT NULL,
    scope   text             NOT NULL,
    hour    timestamptz      NOT NULL,
    count   bigint           NOT NULL,
    points  bigint           NOT NULL,
    seconds double precision NOT NULL,
    PRIMARY KEY (kind, scope, hour)
);

-- All-time totals kept with the projections (sessions, checkpoints, checkpoint_bytes, workflows_completed,
-- workflows_failed, workflow_milliseconds), so the counters need no scan.
CREATE TABLE analytics_totals (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);

-- Tool-call latencies reported by the gateways (every replica sends its own samples).
CREATE TABLE tool_call_samples (
    at          timestamptz      NOT NULL,
    tool        text             NOT NULL,
    duration_ms double precision NOT NULL,
    failed      boolean          NOT NULL,
    instance    text             NOT NULL
);
CREATE INDEX tool_call_samples_at ON tool_call_samples (at);

-- The latest CPU and memory sample of each SessionBuddy process that reports one.
CREATE TABLE process_usage (
    service     text             NOT NULL,
    instance    text             NOT NULL,
    cpu_percent double precision NOT NULL,
    memory_mb   double precision NOT NULL,
    sampled_at  timestamptz      NOT NULL,
    PRIMARY KEY (service, instance)
);
