ALTER TABLE widgets ADD COLUMN colour text;
-- Slow enough that concurrently starting replicas really overlap.
SELECT pg_sleep(0.2);
