-- The click epoch (README "Click counting", cached totals): bumped in the same transaction as every change
-- to `post_counters` that does not go through the click cache (a click counted in the database while the
-- cache is down, a parked click counted here, a post deleted), so that an instance passing a newer epoch to
-- the click cache makes it drop the totals it holds and seed them again from here. Read with the content
-- version, in the same statement, by every instance's version watcher or listener.
ALTER TABLE content_version ADD COLUMN click_epoch BIGINT NOT NULL DEFAULT 0;
-- A deleted post's total must not outlive it (ids are not given again here, but the rule is the same on
-- both databases); the bump is announced like the content version's.
CREATE FUNCTION bump_click_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET click_epoch = click_epoch + 1 WHERE id = 1;
    PERFORM pg_notify('blog_api_content', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_delete_click_epoch AFTER DELETE ON posts FOR EACH STATEMENT EXECUTE FUNCTION bump_click_epoch();
