-- The content version: bumped by every change to what reads serve (posts, their tags, categories, tags,
-- and comments once they are visible), whoever makes it (the API, an import, plain SQL). Each instance
-- polls it and drops its content cache when it moves. Click counters are not content: the sync never bumps it.
CREATE TABLE content_version (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO content_version (id, version) VALUES (1, 1);

CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_content_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER post_tags_content_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON post_tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER categories_content_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER tags_content_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
-- A new pending comment changes nothing a reader sees (so a flood of them flushes no cache); approving,
-- rejecting or deleting one, or importing approved ones, does (the posts' comment counts).
CREATE TRIGGER comments_visible_content_version AFTER INSERT ON comments
    FOR EACH ROW WHEN (NEW.status = 'approved') EXECUTE FUNCTION bump_content_version();
CREATE TRIGGER comments_changed_content_version AFTER UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION bump_content_version();
