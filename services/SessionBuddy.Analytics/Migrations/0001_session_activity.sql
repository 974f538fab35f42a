-- Analytics' own projection of session lifecycle events (it never reads sessionsdb).
CREATE TABLE session_activity (
    session_id    uuid PRIMARY KEY,
    name          text,
    project       text,
    created_at    timestamptz,
    deleted_at    timestamptz,
    message_count bigint NOT NULL DEFAULT 0,
    content_chars bigint NOT NULL DEFAULT 0,
    last_activity timestamptz
);
