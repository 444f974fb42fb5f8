-- Clicks whose call to Redis may or may not have run (a time-out or a broken connection after the script was
-- sent). Each keeps the id the record script remembers; the sync sends it again (Redis counts an id once)
-- and deletes the row. Counting it in the database instead could count it twice.
CREATE TABLE parked_clicks (
    click_id TEXT PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parked_at TIMESTAMP NOT NULL
);
CREATE INDEX parked_clicks_post_idx ON parked_clicks (post_id);
CREATE INDEX parked_clicks_parked_at_idx ON parked_clicks (parked_at);
