DROP TRIGGER posts_delete_click_epoch;
ALTER TABLE content_version DROP COLUMN click_epoch;
