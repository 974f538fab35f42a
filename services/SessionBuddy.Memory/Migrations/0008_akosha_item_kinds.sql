-- An Akosha hub now also stores reflections and session summaries (category akosha_result, metadata kind); the
-- worker results stored before kinds existed are worker results.
UPDATE reflections SET metadata = metadata || '{"kind": "worker_result"}'
WHERE category = 'akosha_result' AND NOT metadata ? 'kind';
