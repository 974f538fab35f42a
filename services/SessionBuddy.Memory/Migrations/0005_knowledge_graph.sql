-- Knowledge graph: named, typed entities with observations, and directed typed relations between them.
-- Names are unique regardless of case (name_key = lower(name)); tools address entities by name.
CREATE TABLE kg_entities (
    id           uuid        PRIMARY KEY,
    operation_id uuid        NOT NULL UNIQUE,
    name         text        NOT NULL,
    name_key     text        NOT NULL UNIQUE,
    entity_type  text        NOT NULL,
    properties   jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX kg_entities_type ON kg_entities (lower(entity_type));

CREATE TABLE kg_observations (
    id           uuid        PRIMARY KEY,
    operation_id uuid        NOT NULL UNIQUE,
    entity_id    uuid        NOT NULL REFERENCES kg_entities (id) ON DELETE CASCADE,
    content      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- md5 keeps the uniqueness index small for long observations.
    content_hash text        GENERATED ALWAYS AS (md5(content)) STORED,
    CONSTRAINT kg_observations_once UNIQUE (entity_id, content_hash)
);

CREATE TABLE kg_relations (
    id            uuid        PRIMARY KEY,
    operation_id  uuid        NOT NULL UNIQUE,
    from_id       uuid        NOT NULL REFERENCES kg_entities (id) ON DELETE CASCADE,
    to_id         uuid        NOT NULL REFERENCES kg_entities (id) ON DELETE CASCADE,
    relation_type text        NOT NULL,
    properties    jsonb       NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT kg_relations_once UNIQUE (from_id, to_id, relation_type),
    CONSTRAINT kg_relations_not_self CHECK (from_id <> to_id)
);
CREATE INDEX kg_relations_to ON kg_relations (to_id);
