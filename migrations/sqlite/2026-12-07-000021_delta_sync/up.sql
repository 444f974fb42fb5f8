-- Delta sync (README "Delta sync"): every row `GET /sync` serves carries the position of its last change,
-- and every deleted one leaves a tombstone with the position of its deletion. A position is a content
-- version: each change bumps the version and takes it, inside its write transaction (SQLite runs one at a
-- time), so once a reader sees version V every change at or below V is committed and every later one gets
-- a position above V (sync tokens hold V). A change to what a row shows without a change to the row itself
-- (a post's tags, authors, SEO fields, feature image or approved comments; a category's, tag's or author's
-- post count) touches the row (`SET change_seq = change_seq`), which gives it a new position. Click counts
-- are not changes: they live in post_counters, untouched here. (Triggers here do not fire themselves again:
-- SQLite's recursive_triggers is off.)
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
    kind       TEXT NOT NULL,
    row_id     BIGINT NOT NULL,
    change_seq BIGINT NOT NULL,
    deleted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, row_id)
);
CREATE INDEX sync_deletions_by_change ON sync_deletions (kind, change_seq);
ALTER TABLE content_version ADD COLUMN sync_horizon BIGINT NOT NULL DEFAULT 0;

-- Stamps: a row written (not by a stamp itself) takes a new position.
CREATE TRIGGER posts_sync_insert AFTER INSERT ON posts BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE posts SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER posts_sync_update AFTER UPDATE ON posts WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE posts SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER categories_sync_insert AFTER INSERT ON categories BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE categories SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER categories_sync_update AFTER UPDATE ON categories WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE categories SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER tags_sync_insert AFTER INSERT ON tags BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE tags SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER tags_sync_update AFTER UPDATE ON tags WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE tags SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER authors_sync_insert AFTER INSERT ON authors BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE authors SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER authors_sync_update AFTER UPDATE ON authors WHEN NEW.change_seq = OLD.change_seq BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    UPDATE authors SET change_seq = (SELECT version FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;

-- Tombstones.
CREATE TRIGGER posts_sync_deleted AFTER DELETE ON posts BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    INSERT OR REPLACE INTO sync_deletions (kind, row_id, change_seq, deleted_at)
    VALUES ('post', OLD.id, (SELECT version FROM content_version WHERE id = 1), strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
CREATE TRIGGER categories_sync_deleted AFTER DELETE ON categories BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    INSERT OR REPLACE INTO sync_deletions (kind, row_id, change_seq, deleted_at)
    VALUES ('category', OLD.id, (SELECT version FROM content_version WHERE id = 1), strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
CREATE TRIGGER tags_sync_deleted AFTER DELETE ON tags BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    INSERT OR REPLACE INTO sync_deletions (kind, row_id, change_seq, deleted_at)
    VALUES ('tag', OLD.id, (SELECT version FROM content_version WHERE id = 1), strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;
CREATE TRIGGER authors_sync_deleted AFTER DELETE ON authors BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    INSERT OR REPLACE INTO sync_deletions (kind, row_id, change_seq, deleted_at)
    VALUES ('author', OLD.id, (SELECT version FROM content_version WHERE id = 1), strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;

-- What a post shows beyond its row.
CREATE TRIGGER post_seo_sync_insert AFTER INSERT ON post_seo BEGIN UPDATE posts SET change_seq = change_seq WHERE id = NEW.post_id; END;
CREATE TRIGGER post_seo_sync_update AFTER UPDATE ON post_seo BEGIN UPDATE posts SET change_seq = change_seq WHERE id IN (OLD.post_id, NEW.post_id); END;
CREATE TRIGGER post_seo_sync_delete AFTER DELETE ON post_seo BEGIN UPDATE posts SET change_seq = change_seq WHERE id = OLD.post_id; END;
CREATE TRIGGER post_feature_images_sync_insert AFTER INSERT ON post_feature_images BEGIN UPDATE posts SET change_seq = change_seq WHERE id = NEW.post_id; END;
CREATE TRIGGER post_feature_images_sync_update AFTER UPDATE ON post_feature_images BEGIN UPDATE posts SET change_seq = change_seq WHERE id IN (OLD.post_id, NEW.post_id); END;
CREATE TRIGGER post_feature_images_sync_delete AFTER DELETE ON post_feature_images BEGIN UPDATE posts SET change_seq = change_seq WHERE id = OLD.post_id; END;
CREATE TRIGGER comments_sync_insert AFTER INSERT ON comments WHEN NEW.status = 'approved' BEGIN UPDATE posts SET change_seq = change_seq WHERE id = NEW.post_id; END;
CREATE TRIGGER comments_sync_update AFTER UPDATE ON comments BEGIN UPDATE posts SET change_seq = change_seq WHERE id IN (OLD.post_id, NEW.post_id); END;
CREATE TRIGGER comments_sync_delete AFTER DELETE ON comments BEGIN UPDATE posts SET change_seq = change_seq WHERE id = OLD.post_id; END;

-- A post's tags and authors: the post shows them, and each one's post count may move.
CREATE TRIGGER post_tags_sync_insert AFTER INSERT ON post_tags BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id = NEW.post_id;
    UPDATE tags SET change_seq = change_seq WHERE id = NEW.tag_id;
END;
CREATE TRIGGER post_tags_sync_update AFTER UPDATE ON post_tags BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id IN (OLD.post_id, NEW.post_id);
    UPDATE tags SET change_seq = change_seq WHERE id IN (OLD.tag_id, NEW.tag_id);
END;
CREATE TRIGGER post_tags_sync_delete AFTER DELETE ON post_tags BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id = OLD.post_id;
    UPDATE tags SET change_seq = change_seq WHERE id = OLD.tag_id;
END;
CREATE TRIGGER post_authors_sync_insert AFTER INSERT ON post_authors BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id = NEW.post_id;
    UPDATE authors SET change_seq = change_seq WHERE id = NEW.author_id;
END;
CREATE TRIGGER post_authors_sync_update AFTER UPDATE ON post_authors BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id IN (OLD.post_id, NEW.post_id);
    UPDATE authors SET change_seq = change_seq WHERE id IN (OLD.author_id, NEW.author_id);
END;
CREATE TRIGGER post_authors_sync_delete AFTER DELETE ON post_authors BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id = OLD.post_id;
    UPDATE authors SET change_seq = change_seq WHERE id = OLD.author_id;
END;

-- A post made, deleted, moved or (un)published moves its category's count, and its tags' and authors'.
CREATE TRIGGER posts_sync_terms_insert AFTER INSERT ON posts BEGIN
    UPDATE categories SET change_seq = change_seq WHERE id = NEW.category_id;
END;
CREATE TRIGGER posts_sync_terms_delete AFTER DELETE ON posts BEGIN
    UPDATE categories SET change_seq = change_seq WHERE id = OLD.category_id;
END;
CREATE TRIGGER posts_sync_terms_moved AFTER UPDATE ON posts
    WHEN OLD.published_at IS NOT NEW.published_at OR OLD.category_id IS NOT NEW.category_id BEGIN
    UPDATE categories SET change_seq = change_seq WHERE id IN (OLD.category_id, NEW.category_id);
    UPDATE tags SET change_seq = change_seq WHERE id IN (SELECT tag_id FROM post_tags WHERE post_id = NEW.id);
    UPDATE authors SET change_seq = change_seq WHERE id IN (SELECT author_id FROM post_authors WHERE post_id = NEW.id);
END;

-- A renamed category, tag or author, or a media's new alt text, shows in every post that names it.
CREATE TRIGGER categories_sync_renamed AFTER UPDATE ON categories
    WHEN OLD.name IS NOT NEW.name OR OLD.slug IS NOT NEW.slug BEGIN
    UPDATE posts SET change_seq = change_seq WHERE category_id = NEW.id;
END;
CREATE TRIGGER tags_sync_renamed AFTER UPDATE ON tags
    WHEN OLD.name IS NOT NEW.name OR OLD.slug IS NOT NEW.slug BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id IN (SELECT post_id FROM post_tags WHERE tag_id = NEW.id);
END;
CREATE TRIGGER authors_sync_renamed AFTER UPDATE ON authors
    WHEN OLD.name IS NOT NEW.name OR OLD.slug IS NOT NEW.slug BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id IN (SELECT post_id FROM post_authors WHERE author_id = NEW.id);
END;
CREATE TRIGGER media_sync_changed AFTER UPDATE ON media BEGIN
    UPDATE posts SET change_seq = change_seq WHERE id IN (SELECT post_id FROM post_feature_images WHERE media_id = NEW.id);
END;
