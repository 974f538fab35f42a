-- Transactional outbox: integration events written in the same transaction as the change
-- they describe, published after commit by OutboxDispatcher. The row id is the message id.
CREATE TABLE outbox_messages (
    id            uuid PRIMARY KEY,
    message_type  text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    dispatched_at timestamptz,
    attempts      int         NOT NULL DEFAULT 0,
    last_error    text
);
CREATE INDEX outbox_messages_pending ON outbox_messages (created_at) WHERE dispatched_at IS NULL;

-- Inbox: message ids a consumer has already applied, so redelivered events are applied once.
CREATE TABLE inbox_messages (
    message_id   uuid        NOT NULL,
    consumer     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, consumer)
);
