-- Unique readers are hashed under a salt of their UTC day, kept only while that day's sketches can still
-- change (the day and the next), then deleted by the click sync: afterwards nobody, even with the database
-- and Redis, can test whether an address read a post that day. The permanent salt goes.
CREATE TABLE reader_salts (
    day  BIGINT PRIMARY KEY,
    salt TEXT   NOT NULL
);
DELETE FROM server_secrets WHERE name = 'visitor';
