-- Search runs on each instance's in-memory index (src/domain/search): the FTS5 table is no longer read, and
-- its triggers cost every write of a post (and every import) their upkeep.
DROP TRIGGER IF EXISTS posts_fts_after_insert;
DROP TRIGGER IF EXISTS posts_fts_after_delete;
DROP TRIGGER IF EXISTS posts_fts_after_update;
DROP TABLE IF EXISTS posts_fts;
