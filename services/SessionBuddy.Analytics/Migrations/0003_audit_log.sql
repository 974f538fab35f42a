-- Mutating tool calls reported by the gateways (ToolCallAudited): who did what, to which project, with
-- which outcome. No arguments are ever stored.
CREATE TABLE audit_log (
    audit_id   uuid        PRIMARY KEY,
    at         timestamptz NOT NULL,
    subject    text        NOT NULL,
    tool       text        NOT NULL,
    project    text,
    session_id uuid,
    outcome    text        NOT NULL,
    instance   text        NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_subject ON audit_log (subject, at DESC);
