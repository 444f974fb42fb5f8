ALTER TABLE posts ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body_markdown)) STORED;
CREATE INDEX posts_search_vector_idx ON posts USING GIN (search);
