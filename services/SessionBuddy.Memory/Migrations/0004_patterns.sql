-- Recurring patterns, one per name and project. Their searchable text (name, description, examples)
-- is a memory of category 'pattern' (memory_id), so find_patterns ranks with the memory search.
CREATE TABLE patterns (
    id           uuid        PRIMARY KEY,
    project      text,
    name         text        NOT NULL,
    pattern_type text        NOT NULL,
    description  text        NOT NULL,
    examples     text[]      NOT NULL DEFAULT '{}',
    occurrences  int         NOT NULL DEFAULT 1,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    memory_id    uuid,
    CONSTRAINT patterns_project_name UNIQUE NULLS NOT DISTINCT (project, name)
);
CREATE INDEX patterns_type ON patterns (pattern_type);
CREATE INDEX patterns_memory ON patterns (memory_id);

-- Operations already applied, so a retried store_pattern counts one occurrence.
CREATE TABLE pattern_operations (
    operation_id uuid PRIMARY KEY,
    pattern_id   uuid NOT NULL,
    created      bool NOT NULL
);
