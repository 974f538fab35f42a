-- One row per run of a scheduled job: the replica that inserts a job's row for a time slot runs it,
-- so with any number of replicas each slot runs once.
CREATE TABLE scheduled_runs (
    job        text        NOT NULL,
    slot_start timestamptz NOT NULL,
    replica    text        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, slot_start)
);
