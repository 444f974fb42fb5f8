-- The content version: bumped by every change to what reads serve (posts, their tags, categories, tags,
-- and comments once they are visible), whoever makes it (the API, an import, plain SQL). Each instance
-- polls it and drops its content cache when it moves. Click counters are not content: the sync never bumps it.
CREATE TABLE content_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO content_version (id, version) VALUES (1, 1);

CREATE TRIGGER posts_insert_content_version AFTER INSERT ON posts BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER posts_update_content_version AFTER UPDATE ON posts BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER posts_delete_content_version AFTER DELETE ON posts BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER post_tags_insert_content_version AFTER INSERT ON post_tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER post_tags_update_content_version AFTER UPDATE ON post_tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER post_tags_delete_content_version AFTER DELETE ON post_tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_insert_content_version AFTER INSERT ON categories BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_update_content_version AFTER UPDATE ON categories BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER categories_delete_content_version AFTER DELETE ON categories BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tags_insert_content_version AFTER INSERT ON tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tags_update_content_version AFTER UPDATE ON tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER tags_delete_content_version AFTER DELETE ON tags BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
-- A new pending comment changes nothing a reader sees; approving, rejecting or deleting one, or importing
-- approved ones, does (the posts' comment counts).
CREATE TRIGGER comments_insert_content_version AFTER INSERT ON comments WHEN NEW.status = 'approved' BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER comments_update_content_version AFTER UPDATE ON comments BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER comments_delete_content_version AFTER DELETE ON comments BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END;
