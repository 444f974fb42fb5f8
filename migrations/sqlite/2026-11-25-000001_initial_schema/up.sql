-- The whole data model of docs/ARCHITECTURE.md, as migrations/postgres has it. Timestamps are UTC text
-- ("YYYY-MM-DD HH:MM:SS[.f]"), which sorts and compares in time order. AUTOINCREMENT: ids are never reused.
CREATE TABLE categories (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE posts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    slug          TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    excerpt       TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    author        TEXT NOT NULL,
    category_id   BIGINT REFERENCES categories (id) ON DELETE SET NULL,
    published_at  TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX posts_published_at_idx ON posts (published_at DESC, id DESC);
CREATE INDEX posts_category_id_idx ON posts (category_id);

-- Full-text search on title and body: an external-content FTS5 index kept in step by triggers.
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

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id  BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag_id_idx ON post_tags (tag_id, post_id);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX comments_post_id_idx ON comments (post_id, status, created_at);

CREATE TABLE post_counters (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    clicks  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX post_counters_clicks_idx ON post_counters (clicks DESC);

CREATE TABLE counter_batches (
    batch_id   TEXT PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL,
    fields     BIGINT NOT NULL,
    total      BIGINT NOT NULL
);
CREATE INDEX counter_batches_applied_at_idx ON counter_batches (applied_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_live_name_idx ON api_tokens (name) WHERE revoked_at IS NULL;
