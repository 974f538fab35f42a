-- The hub also stores reflections and session summaries (Akosha:ForwardReflections / ForwardSessionSummaries on the
-- pushing system): each row says its kind; worker type and status belong to worker results only.
ALTER TABLE akosha_hub_results
    ADD COLUMN kind text NOT NULL DEFAULT 'worker_result',
    ALTER COLUMN worker_type DROP NOT NULL,
    ALTER COLUMN status DROP NOT NULL;
