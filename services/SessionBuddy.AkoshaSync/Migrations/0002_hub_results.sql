-- The hub side: results other systems pushed, once per (system, idempotency key).
CREATE TABLE akosha_hub_results (
    id              uuid        PRIMARY KEY,
    system_id       text        NOT NULL,
    idempotency_key text        NOT NULL,
    pool_id         text,
    worker_type     text        NOT NULL,
    status          text        NOT NULL,
    payload         jsonb       NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (system_id, idempotency_key)
);
