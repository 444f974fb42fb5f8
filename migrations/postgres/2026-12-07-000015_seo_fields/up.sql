-- SEO fields of a post (README "SEO fields"), one row per post that sets any: a NULL (or no row) means
-- "fill from the title, the excerpt" on reads. Written by the API's post writes only (an import leaves them
-- as they are); deleted with the post.
CREATE TABLE post_seo (
    post_id          BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    meta_title       TEXT,
    meta_description TEXT,
    canonical_url    TEXT
);
