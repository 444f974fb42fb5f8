DROP TRIGGER comments_changed_content_version ON comments;
DROP TRIGGER comments_visible_content_version ON comments;
DROP TRIGGER tags_content_version ON tags;
DROP TRIGGER categories_content_version ON categories;
DROP TRIGGER post_tags_content_version ON post_tags;
DROP TRIGGER posts_content_version ON posts;
DROP FUNCTION bump_content_version();
DROP TABLE content_version;
