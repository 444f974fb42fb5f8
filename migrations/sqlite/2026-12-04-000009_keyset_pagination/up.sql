-- Keyset (cursor) pagination: the key that seals cursors, shared by every instance on this database (made
-- once, by the first instance to start), and indexes that serve each order's "after this item" condition.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
-- `sort=title`: (LOWER(title), id) > (LOWER($1), $2). (-published_at and published_at use
-- posts_published_at_idx, read backwards for the oldest first.)
CREATE INDEX posts_title_keyset_idx ON posts (LOWER(title), id);
-- `sort=-clicks`: (clicks, post_id) < ($1, $2), most clicked first.
CREATE INDEX post_counters_keyset_idx ON post_counters (clicks DESC, post_id DESC);
DROP INDEX post_counters_clicks_idx;
-- A post's comments in order: (created_at, id) > ($1, $2) within one status.
CREATE INDEX comments_post_keyset_idx ON comments (post_id, status, created_at, id);
DROP INDEX comments_post_id_idx;
-- Every post has a counter row (posts are written with one); `sort=-clicks` relies on it. Fills any gap.
INSERT INTO post_counters (post_id, clicks)
SELECT id, 0 FROM posts WHERE id NOT IN (SELECT post_id FROM post_counters);
