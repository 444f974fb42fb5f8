-- The whole data model of docs/ARCHITECTURE.md. Timestamps are UTC, stored without a zone.
CREATE TABLE categories (
    id   BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE tags (
    id   BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE posts (
    id            BIGSERIAL PRIMARY KEY,
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
-- Full-text search on title and body; queries use exactly this expression so the index applies.
CREATE INDEX posts_search_idx ON posts
    USING GIN (to_tsvector('english', title || ' ' || body_markdown));

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id  BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag_id_idx ON post_tags (tag_id, post_id);

CREATE TABLE comments (
    id          BIGSERIAL PRIMARY KEY,
    post_id     BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX comments_post_id_idx ON comments (post_id, status, created_at);

-- A narrow table, so counter updates never touch the post row (its updated_at and ETag stay stable).
CREATE TABLE post_counters (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    clicks  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX post_counters_clicks_idx ON post_counters (clicks DESC);

-- The idempotency ledger of the click sync: a batch id present here was applied.
CREATE TABLE counter_batches (
    batch_id   TEXT PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL,
    fields     BIGINT NOT NULL,
    total      BIGINT NOT NULL
);
CREATE INDEX counter_batches_applied_at_idx ON counter_batches (applied_at);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
-- A name identifies one live token; a revoked token's name may be reused.
CREATE UNIQUE INDEX api_tokens_live_name_idx ON api_tokens (name) WHERE revoked_at IS NULL;
