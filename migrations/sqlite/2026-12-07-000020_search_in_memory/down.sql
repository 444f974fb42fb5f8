CREATE VIRTUAL TABLE posts_fts USING fts5 (
    title, body_markdown, content = 'posts', content_rowid = 'id', tokenize = 'porter unicode61'
);
CREATE TRIGGER posts_fts_after_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, body_markdown) VALUES (new.id, new.title, new.body_markdown);
END;
CREATE TRIGGER posts_fts_after_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, body_markdown)
        VALUES ('delete', old.id, old.title, old.body_markdown);
END;
CREATE TRIGGER posts_fts_after_update AFTER UPDATE OF title, body_markdown ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, title, body_markdown)
        VALUES ('delete', old.id, old.title, old.body_markdown);
    INSERT INTO posts_fts (rowid, title, body_markdown) VALUES (new.id, new.title, new.body_markdown);
END;
INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');
