-- Every bump of the content version is also announced on the `blog_api_content` channel, so that instances
-- listening (PostgreSQL ones) drop their content caches at once instead of at their next version check.
-- Notifications of one transaction are delivered once, at commit; a listener that missed some (its
-- connection was cut) reads the version when it reconnects.
CREATE OR REPLACE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET version = version + 1 WHERE id = 1;
    PERFORM pg_notify('blog_api_content', '');
    RETURN NULL;
END
$$;
