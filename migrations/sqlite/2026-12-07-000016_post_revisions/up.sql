-- Revisions of posts (README "Revisions"): each create and update keeps the post's editable fields as a JSON
-- object in the shape a PATCH takes; the newest POST_REVISIONS_KEEP are kept per post, and a deleted post's
-- go with it. token_name is NULL for an import.
CREATE TABLE post_revisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    number     BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    token_name TEXT,
    -- The fields that differ from the revision before, comma-separated.
    changed    TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    UNIQUE (post_id, number)
);
