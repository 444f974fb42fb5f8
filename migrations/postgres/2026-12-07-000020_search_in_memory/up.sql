-- Search runs on each instance's in-memory index (src/domain/search): the stored tsvector and its GIN index
-- are no longer read, and cost every write of a post (and every import) their upkeep.
DROP INDEX IF EXISTS posts_search_vector_idx;
ALTER TABLE posts DROP COLUMN IF EXISTS search;
