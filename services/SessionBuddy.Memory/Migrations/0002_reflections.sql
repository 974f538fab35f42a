-- Reflections: what agents store and search. The embedding column is added at start-up by
-- EmbeddingColumn, because its dimension is a deployment setting (Memory:EmbeddingDimensions).
CREATE TABLE reflections (
    id            uuid        PRIMARY KEY,
    operation_id  uuid        NOT NULL UNIQUE,
    project       text,
    content       text        NOT NULL,
    content_hash  text        NOT NULL,
    tags          text[]      NOT NULL DEFAULT '{}',
    session_id    text,
    metadata      jsonb       NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Keyword search: stemmed lexemes for GIN candidate lookup (positions stripped: only membership
    -- is needed), per-lexeme counts and the document length for BM25 scoring.
    search_vector tsvector    NOT NULL,
    term_counts   jsonb       NOT NULL,
    doc_length    int         NOT NULL,
    -- One row per content and project, also for the global (null) project.
    CONSTRAINT reflections_project_content UNIQUE NULLS NOT DISTINCT (project, content_hash)
);
-- Keep rows of a few KB inline and uncompressed: BM25 scoring reads term_counts once per query
-- term, and a compressed value would be decompressed on every read.
ALTER TABLE reflections SET (toast_tuple_target = 8160);
ALTER TABLE reflections ALTER COLUMN term_counts SET STORAGE MAIN;
CREATE INDEX reflections_search_vector ON reflections USING gin (search_vector);
CREATE INDEX reflections_project_created ON reflections (project, created_at);
CREATE INDEX reflections_created ON reflections (created_at);
CREATE INDEX reflections_tags ON reflections USING gin (tags);
CREATE INDEX reflections_session ON reflections (session_id) WHERE session_id IS NOT NULL;

-- BM25 statistics, kept in the same transaction as every insert and delete.
-- Document frequency per lexeme:
CREATE TABLE reflection_terms (
    term text   PRIMARY KEY,
    df   bigint NOT NULL
);
-- Document count and total length, striped over 16 rows so concurrent writers rarely wait on one
-- row; readers sum the stripes.
CREATE TABLE reflection_corpus (
    slot         int    PRIMARY KEY,
    doc_count    bigint NOT NULL,
    total_length bigint NOT NULL
);
INSERT INTO reflection_corpus (slot, doc_count, total_length) SELECT s, 0, 0 FROM generate_series(0, 15) s;
