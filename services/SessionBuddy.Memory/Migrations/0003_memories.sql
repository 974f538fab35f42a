-- Generic memories live in the reflections table (one search engine, one set of BM25 statistics),
-- told apart by category; reflections are category 'reflection'.
ALTER TABLE reflections ADD COLUMN category text NOT NULL DEFAULT 'reflection';
CREATE INDEX reflections_category_project ON reflections (category, project, created_at);

-- Search hits per memory, kept apart from the searched rows so recording them never rewrites those.
-- No foreign key: a hit on a row deleted meanwhile is harmless; optimisation removes orphans.
CREATE TABLE memory_access (
    memory_id        uuid        PRIMARY KEY,
    access_count     bigint      NOT NULL,
    last_accessed_at timestamptz NOT NULL
);

-- What optimisation merged away: the full item, so no stored content is ever lost. The survivor also
-- lists it under metadata.merged_from.
CREATE TABLE memory_merges (
    merged_id   uuid             PRIMARY KEY,
    survivor_id uuid             NOT NULL,
    run_id      uuid             NOT NULL,
    project     text,
    category    text             NOT NULL,
    content     text             NOT NULL,
    tags        text[]           NOT NULL,
    metadata    jsonb            NOT NULL,
    created_at  timestamptz      NOT NULL,
    similarity  double precision NOT NULL,
    merged_at   timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX memory_merges_survivor ON memory_merges (survivor_id);

CREATE TABLE memory_optimization_runs (
    id                uuid        PRIMARY KEY,
    trigger           text        NOT NULL,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz NOT NULL,
    items_checked     bigint      NOT NULL,
    duplicates_merged bigint      NOT NULL,
    stale_items       bigint      NOT NULL,
    -- Items created before this were compared with their neighbours; the next run starts here.
    checked_until     timestamptz NOT NULL
);
CREATE INDEX memory_optimization_runs_finished ON memory_optimization_runs (finished_at DESC);
