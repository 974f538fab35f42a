-- BM25 postings: one row per (lexeme, reflection) with what scoring needs. Keyword ranking reads these
-- narrow index entries (index-only) instead of fetching wide reflection rows (content, tsvector,
-- embedding) and looking terms up in their jsonb; it replaces the GIN index as the candidate source.
CREATE TABLE reflection_postings (
    term          text NOT NULL,
    reflection_id uuid NOT NULL,
    project       text,
    category      text NOT NULL,
    tf            int  NOT NULL,
    doc_length    int  NOT NULL,
    PRIMARY KEY (term, reflection_id) INCLUDE (project, category, tf, doc_length)
);
INSERT INTO reflection_postings (term, reflection_id, project, category, tf, doc_length)
SELECT k.key, r.id, r.project, r.category, k.value::int, r.doc_length
FROM reflections r, jsonb_each_text(r.term_counts) AS k;
-- Per reflection, for the left-out terms of a candidate in one probe (MaxScore's non-selecting terms).
CREATE INDEX reflection_postings_reflection ON reflection_postings (reflection_id, term) INCLUDE (tf, doc_length);

-- Per-lexeme bounds for MaxScore pruning: the largest count and the shortest document of any posting.
-- Kept with greatest/least on insert and left alone on delete, so they stay upper bounds (never tight
-- too low) of what the term can contribute.
ALTER TABLE reflection_terms
    ADD COLUMN max_tf int NOT NULL DEFAULT 2147483647,
    ADD COLUMN min_doc_length int NOT NULL DEFAULT 0;
UPDATE reflection_terms t SET max_tf = s.max_tf, min_doc_length = s.min_doc_length
FROM (SELECT term, max(tf) AS max_tf, min(doc_length) AS min_doc_length FROM reflection_postings GROUP BY term) s
WHERE t.term = s.term;

DROP INDEX reflections_search_vector;
