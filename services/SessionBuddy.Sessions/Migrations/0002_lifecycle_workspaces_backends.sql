-- Workspace backends: where a session's files live. 'local' always exists and is the default.
CREATE TABLE workspace_backends (
    name       text PRIMARY KEY,
    kind       text        NOT NULL,
    container  text,
    root       text,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO workspace_backends (name, kind) VALUES ('local', 'local');

ALTER TABLE sessions ADD COLUMN backend text NOT NULL DEFAULT 'local' REFERENCES workspace_backends (name);
ALTER TABLE sessions ADD COLUMN started_at timestamptz;
ALTER TABLE sessions ADD COLUMN ended_at timestamptz;
-- cleanup_sessions scans finished sessions by age.
CREATE INDEX sessions_by_status_updated ON sessions (status, updated_at);

CREATE TABLE checkpoints (
    id                uuid PRIMARY KEY,
    -- The caller's operation id: a retried checkpoint or end returns this row.
    operation_id      uuid        NOT NULL UNIQUE,
    session_id        uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    sequence          bigint      NOT NULL,
    summary           text,
    quality_score     int         NOT NULL CHECK (quality_score BETWEEN 0 AND 100),
    quality_breakdown jsonb       NOT NULL,
    state             jsonb       NOT NULL,
    created_at        timestamptz NOT NULL,
    UNIQUE (session_id, sequence)
);
