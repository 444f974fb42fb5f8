-- Authors (README "Authors"): a post names its authors in order (position 0 is the primary one, whose name
-- posts.author keeps for the clients that read that string). Every post is linked at start-up, one author
-- per distinct name, when it has none yet; an author a post names cannot be deleted.
CREATE TABLE authors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    bio        TEXT NOT NULL DEFAULT '',
    bio_html   TEXT NOT NULL DEFAULT '',
    website    TEXT,
    avatar_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX authors_by_name ON authors (name, id);
CREATE TABLE post_authors (
    post_id   BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id),
    position  BIGINT NOT NULL,
    PRIMARY KEY (post_id, author_id)
);
CREATE INDEX post_authors_by_author ON post_authors (author_id, post_id);
