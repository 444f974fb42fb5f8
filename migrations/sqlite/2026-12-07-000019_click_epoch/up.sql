-- The click epoch (README "Click counting", cached totals): bumped in the same transaction as every change
-- to `post_counters` that does not go through the click cache (a click counted in the database while the
-- cache is down, a parked click counted here, a post deleted), so that an instance passing a newer epoch to
-- the click cache makes it drop the totals it holds and seed them again from here. Read with the content
-- version, in the same statement, by every instance's version watcher or listener.
ALTER TABLE content_version ADD COLUMN click_epoch BIGINT NOT NULL DEFAULT 0;
-- A deleted post's id can be given again on SQLite (the largest rowid): its old total must not follow it.
CREATE TRIGGER posts_delete_click_epoch AFTER DELETE ON posts BEGIN UPDATE content_version SET click_epoch = click_epoch + 1 WHERE id = 1; END;
