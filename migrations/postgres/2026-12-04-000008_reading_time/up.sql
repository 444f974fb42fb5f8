-- How long a post is to read, derived from its body when it is written (like body_html). Rows written
-- before this migration are filled in by the server at start-up (it parses the Markdown; SQL cannot).
ALTER TABLE posts ADD COLUMN word_count BIGINT;
ALTER TABLE posts ADD COLUMN reading_time_minutes BIGINT;
