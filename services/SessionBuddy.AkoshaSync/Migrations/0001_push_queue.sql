-- The durable push queue: one row per item to deliver to the Akosha hub, kept after delivery (sent_at) so a
-- redelivered event finds its idempotency key and is not queued again.
CREATE TABLE akosha_push_items (
    id              uuid        PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE,
    kind            text        NOT NULL,
    pool_id         text,
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts        int         NOT NULL DEFAULT 0,
    last_error      text,
    sent_at         timestamptz
);
CREATE INDEX akosha_push_items_due ON akosha_push_items (next_attempt_at, id) WHERE sent_at IS NULL;

-- Items the hub refused on every attempt, with the last error; akosha_replay moves them back.
CREATE TABLE akosha_dead_letters (
    id               uuid        PRIMARY KEY,
    idempotency_key  text        NOT NULL UNIQUE,
    kind             text        NOT NULL,
    pool_id          text,
    payload          jsonb       NOT NULL,
    created_at       timestamptz NOT NULL,
    attempts         int         NOT NULL,
    last_error       text        NOT NULL,
    dead_lettered_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX akosha_dead_letters_newest ON akosha_dead_letters (dead_lettered_at DESC);

-- What each pusher process saw last: its circuit state, last success and last error (akosha_sync_status).
CREATE TABLE akosha_pushers (
    pusher          text        PRIMARY KEY,
    circuit_state   text        NOT NULL,
    last_success_at timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
