-- export_analytics pages pool_runs by (collected_at, pool_id): each chunk starts from the cursor in this index.
CREATE INDEX pool_runs_export ON pool_runs (collected_at, pool_id);
