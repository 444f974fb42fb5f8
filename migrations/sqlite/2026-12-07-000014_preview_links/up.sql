-- Preview links (README "Preview links"): each shows one post as it is now, whatever its status, to whoever
-- holds its secret. Only the secret's SHA-256 is stored; revoking a link deletes its row, and deleting the
-- post deletes its links.
CREATE TABLE preview_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX preview_links_by_post ON preview_links (post_id, id);
