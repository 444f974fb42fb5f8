-- Delta sync (README "Delta sync"): every row `GET /sync` serves carries the position of its last change,
-- and every deleted one leaves a tombstone with the position of its deletion. A position is the content
-- version the change's statement makes: the row trigger reads the version plus one holding the version
-- row's lock (taken then, held to the commit), and the statement's content-version trigger bumps the version
-- to it. So positions commit in their order: once a reader sees version V, every change at or below V is
-- committed and visible, and every change still to commit gets a position above V (sync tokens hold V).
-- A change to what a row shows without a change to the row itself (a post's tags, authors, SEO fields,
-- feature image or approved comments; a category's, tag's or author's post count) touches the row, which
-- gives it a new position. Click counts are not changes: they live in post_counters, untouched here.
ALTER TABLE posts ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tags ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE authors ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX posts_by_change ON posts (change_seq);
CREATE INDEX categories_by_change ON categories (change_seq);
CREATE INDEX tags_by_change ON tags (change_seq);
CREATE INDEX authors_by_change ON authors (change_seq);

-- Tombstones older than the retention are pruned; a token from before the newest pruned one is refused
-- (410: start again), as it could miss a deletion.
CREATE TABLE sync_deletions (
    -- post, category, tag or author.
    kind       TEXT NOT NULL,
    row_id     BIGINT NOT NULL,
    change_seq BIGINT NOT NULL,
    deleted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, row_id)
);
CREATE INDEX sync_deletions_by_change ON sync_deletions (kind, change_seq);
ALTER TABLE content_version ADD COLUMN sync_horizon BIGINT NOT NULL DEFAULT 0;

-- Authors bump the content version like the other tables (their positions need it).
CREATE TRIGGER authors_content_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authors
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE FUNCTION sync_next_position() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
    SELECT version + 1 FROM content_version WHERE id = 1 FOR UPDATE
$$;

CREATE FUNCTION sync_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := sync_next_position();
    RETURN NEW;
END
$$;
CREATE TRIGGER posts_sync_stamp BEFORE INSERT OR UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION sync_stamp();
CREATE TRIGGER categories_sync_stamp BEFORE INSERT OR UPDATE ON categories FOR EACH ROW EXECUTE FUNCTION sync_stamp();
CREATE TRIGGER tags_sync_stamp BEFORE INSERT OR UPDATE ON tags FOR EACH ROW EXECUTE FUNCTION sync_stamp();
CREATE TRIGGER authors_sync_stamp BEFORE INSERT OR UPDATE ON authors FOR EACH ROW EXECUTE FUNCTION sync_stamp();

CREATE FUNCTION sync_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sync_deletions (kind, row_id, change_seq, deleted_at)
    VALUES (TG_ARGV[0], OLD.id, sync_next_position(), now() AT TIME ZONE 'UTC')
    ON CONFLICT (kind, row_id) DO UPDATE
        SET change_seq = EXCLUDED.change_seq, deleted_at = EXCLUDED.deleted_at;
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_sync_deleted AFTER DELETE ON posts FOR EACH ROW EXECUTE FUNCTION sync_deleted('post');
CREATE TRIGGER categories_sync_deleted AFTER DELETE ON categories FOR EACH ROW EXECUTE FUNCTION sync_deleted('category');
CREATE TRIGGER tags_sync_deleted AFTER DELETE ON tags FOR EACH ROW EXECUTE FUNCTION sync_deleted('tag');
CREATE TRIGGER authors_sync_deleted AFTER DELETE ON authors FOR EACH ROW EXECUTE FUNCTION sync_deleted('author');

-- What a post shows beyond its row: a touch (an update that changes nothing but the position).
CREATE FUNCTION sync_touch_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE posts SET change_seq = 0 WHERE id = OLD.post_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE posts SET change_seq = 0 WHERE id = NEW.post_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_seo_sync_touch AFTER INSERT OR UPDATE OR DELETE ON post_seo FOR EACH ROW EXECUTE FUNCTION sync_touch_post();
CREATE TRIGGER post_feature_images_sync_touch AFTER INSERT OR UPDATE OR DELETE ON post_feature_images FOR EACH ROW EXECUTE FUNCTION sync_touch_post();
CREATE TRIGGER comments_sync_touch_approved AFTER INSERT ON comments FOR EACH ROW WHEN (NEW.status = 'approved') EXECUTE FUNCTION sync_touch_post();
CREATE TRIGGER comments_sync_touch AFTER UPDATE OR DELETE ON comments FOR EACH ROW EXECUTE FUNCTION sync_touch_post();

-- A post's tags and authors: the post shows them, and each one's post count may move.
CREATE FUNCTION sync_touch_post_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE posts SET change_seq = 0 WHERE id = OLD.post_id;
        UPDATE tags SET change_seq = 0 WHERE id = OLD.tag_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE posts SET change_seq = 0 WHERE id = NEW.post_id;
        UPDATE tags SET change_seq = 0 WHERE id = NEW.tag_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_tags_sync_touch AFTER INSERT OR UPDATE OR DELETE ON post_tags FOR EACH ROW EXECUTE FUNCTION sync_touch_post_tag();
CREATE FUNCTION sync_touch_post_author() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE posts SET change_seq = 0 WHERE id = OLD.post_id;
        UPDATE authors SET change_seq = 0 WHERE id = OLD.author_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE posts SET change_seq = 0 WHERE id = NEW.post_id;
        UPDATE authors SET change_seq = 0 WHERE id = NEW.author_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER post_authors_sync_touch AFTER INSERT OR UPDATE OR DELETE ON post_authors FOR EACH ROW EXECUTE FUNCTION sync_touch_post_author();

-- A post made, deleted, moved or (un)published moves its category's count, and its tags' and authors'.
CREATE FUNCTION sync_touch_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE categories SET change_seq = 0 WHERE id = OLD.category_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE categories SET change_seq = 0 WHERE id = NEW.category_id;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        UPDATE tags SET change_seq = 0 WHERE id IN (SELECT tag_id FROM post_tags WHERE post_id = NEW.id);
        UPDATE authors SET change_seq = 0 WHERE id IN (SELECT author_id FROM post_authors WHERE post_id = NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_sync_terms AFTER INSERT OR DELETE ON posts FOR EACH ROW EXECUTE FUNCTION sync_touch_terms();
CREATE TRIGGER posts_sync_terms_moved AFTER UPDATE ON posts FOR EACH ROW
    WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.category_id IS DISTINCT FROM NEW.category_id)
    EXECUTE FUNCTION sync_touch_terms();

-- A renamed category, tag or author, or a media's new alt text, shows in every post that names it.
CREATE FUNCTION sync_touch_category_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET change_seq = 0 WHERE category_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER categories_sync_renamed AFTER UPDATE ON categories FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.slug IS DISTINCT FROM NEW.slug)
    EXECUTE FUNCTION sync_touch_category_posts();
CREATE FUNCTION sync_touch_tag_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET change_seq = 0 WHERE id IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER tags_sync_renamed AFTER UPDATE ON tags FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.slug IS DISTINCT FROM NEW.slug)
    EXECUTE FUNCTION sync_touch_tag_posts();
CREATE FUNCTION sync_touch_author_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET change_seq = 0 WHERE id IN (SELECT post_id FROM post_authors WHERE author_id = NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER authors_sync_renamed AFTER UPDATE ON authors FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.slug IS DISTINCT FROM NEW.slug)
    EXECUTE FUNCTION sync_touch_author_posts();
CREATE FUNCTION sync_touch_media_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts SET change_seq = 0 WHERE id IN (SELECT post_id FROM post_feature_images WHERE media_id = NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER media_sync_changed AFTER UPDATE ON media FOR EACH ROW EXECUTE FUNCTION sync_touch_media_posts();
