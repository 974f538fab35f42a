-- pgvector backs semantic search; the extension is created once per database.
CREATE EXTENSION IF NOT EXISTS vector;
