CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    -- The caller's operation id: a retried or redelivered create_session returns this row.
    operation_id      uuid        NOT NULL UNIQUE,
    name              text        NOT NULL,
    project           text,
    status            text        NOT NULL,
    working_directory text,
    workspace_dir     text        NOT NULL,
    metadata          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    message_count     bigint      NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
-- Keyset pagination, newest first, optionally within a project or status.
CREATE INDEX sessions_by_created ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_by_project ON sessions (project, created_at DESC, id DESC);

CREATE TABLE messages (
    id           uuid PRIMARY KEY,
    operation_id uuid        NOT NULL UNIQUE,
    session_id   uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    sequence     bigint      NOT NULL,
    role         text        NOT NULL,
    content      text        NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (session_id, sequence)
);
