CREATE INDEX posts_search_idx ON posts USING GIN (to_tsvector('english', title || ' ' || body_markdown));
DROP INDEX posts_search_vector_idx;
ALTER TABLE posts DROP COLUMN search;
