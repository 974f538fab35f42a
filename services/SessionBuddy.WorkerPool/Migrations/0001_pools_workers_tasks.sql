CREATE TABLE pools (
    id           text PRIMARY KEY,
    operation_id uuid        UNIQUE,
    status       text        NOT NULL,
    worker_types text[]      NOT NULL,
    max_workers  int         NOT NULL,
    created_at   timestamptz NOT NULL,
    shutdown_at  timestamptz
);

CREATE TABLE workers (
    id                   text PRIMARY KEY,
    operation_id         uuid,
    pool_id              text REFERENCES pools (id),
    worker_type          text        NOT NULL,
    status               text        NOT NULL,
    consecutive_failures int         NOT NULL DEFAULT 0,
    tasks_completed      bigint      NOT NULL DEFAULT 0,
    tasks_failed         bigint      NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL
);
CREATE INDEX workers_by_pool ON workers (pool_id);
CREATE INDEX workers_by_operation ON workers (operation_id);

-- One row per task. owner_instance is the process running it: on start-up, and periodically,
-- tasks whose owner is gone are marked failed instead of staying "running" forever.
CREATE TABLE tasks (
    id                  uuid PRIMARY KEY,
    operation_id        uuid        NOT NULL,
    position            int         NOT NULL,
    pool_id             text REFERENCES pools (id),
    worker_id           text,
    worker_type         text        NOT NULL,
    prompt_or_command   text        NOT NULL,
    timeout_seconds     int         NOT NULL,
    status              text        NOT NULL,
    owner_instance      text        NOT NULL,
    session_id          uuid,
    output              text,
    error               text,
    exit_code           int,
    duration_seconds    double precision NOT NULL DEFAULT 0,
    metadata            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    progress            text,
    progress_events     bigint      NOT NULL DEFAULT 0,
    attempts            int         NOT NULL DEFAULT 0,
    cancel_requested    boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    UNIQUE (operation_id, position)
);
CREATE INDEX tasks_by_pool ON tasks (pool_id, created_at);
CREATE INDEX tasks_by_worker ON tasks (worker_id, created_at);
CREATE INDEX tasks_unfinished ON tasks (owner_instance) WHERE status IN ('pending', 'starting', 'running');

CREATE TABLE instances (
    id           text PRIMARY KEY,
    host         text        NOT NULL,
    process_id   int         NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL
);

CREATE SEQUENCE route_counter;
