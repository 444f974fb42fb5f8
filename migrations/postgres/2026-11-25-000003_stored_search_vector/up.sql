-- Search filters on a stored tsvector. With only an expression index, a common word made the planner walk
-- the published_at index and compute to_tsvector for every post it passed: seconds per query (benches/).
ALTER TABLE posts ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body_markdown)) STORED;
CREATE INDEX posts_search_vector_idx ON posts USING GIN (search);
DROP INDEX posts_search_idx;
