-- Clicks by the hour they were made in (hours since the Unix epoch, UTC), applied in the same transaction as
-- the totals in post_counters; hours older than CLICK_STATS_RETENTION are rolled up into days (days since the
-- epoch, UTC). For every post, its hours and days add up to its total minus the clicks it was imported with.
CREATE TABLE post_click_hours (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    hour    BIGINT NOT NULL,
    clicks  BIGINT NOT NULL,
    PRIMARY KEY (post_id, hour)
);
-- Windows and trends read recent hours of every post.
CREATE INDEX post_click_hours_hour_idx ON post_click_hours (hour, post_id);
CREATE TABLE post_click_days (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    day     BIGINT NOT NULL,
    clicks  BIGINT NOT NULL,
    PRIMARY KEY (post_id, day)
);
