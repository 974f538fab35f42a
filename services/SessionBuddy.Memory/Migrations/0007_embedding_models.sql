-- Which model made each stored vector, so search compares only vectors of the deployment's model and a
-- change of model is a re-embedding job rather than silent mixing. Models are named provider/model
-- (builtin/all-MiniLM-L6-v2, ollama/nomic-embed-text, hashed/sessionbuddy-local-hash-v1).
CREATE TABLE embedding_models (
    id         smallint    GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    dimensions int         NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Vectors stored before this migration have no model yet; EmbeddingColumn attributes them at start-up
-- (to the configured Ollama model, or to the hashed embedder that was the built-in one until then).
-- (The embedding column itself is EmbeddingColumn's: absent here on a fresh database.)
ALTER TABLE reflections ADD COLUMN embedding_model smallint REFERENCES embedding_models (id);
-- Rows whose vector is missing or of another model: what a re-embedding job still has to do, and the
-- unattributed ones (NULL) at start-up.
CREATE INDEX reflections_embedding_model ON reflections (embedding_model, id);
-- Recreated by EmbeddingColumn with the model beside the vector, so exact search stays index-only.
DROP INDEX IF EXISTS reflections_exact_scan;

-- A requested re-embedding to one model: open until every reflection carries a vector of it. Work
-- is done in committed batches, so a killed process resumes where the rows say it stopped.
CREATE TABLE reembedding_jobs (
    id           uuid        PRIMARY KEY,
    model        smallint    NOT NULL REFERENCES embedding_models (id),
    requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    total        bigint      NOT NULL,
    finished_at  timestamptz
);
CREATE UNIQUE INDEX reembedding_jobs_open ON reembedding_jobs (model) WHERE finished_at IS NULL;
