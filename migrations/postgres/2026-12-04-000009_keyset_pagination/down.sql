CREATE INDEX comments_post_id_idx ON comments (post_id, status, created_at);
DROP INDEX comments_post_keyset_idx;
CREATE INDEX post_counters_clicks_idx ON post_counters (clicks DESC);
DROP INDEX post_counters_keyset_idx;
DROP INDEX posts_title_keyset_idx;
DROP TABLE server_secrets;
