-- Media (README "Media"): an uploaded image, its files stored under an unguessable name (`name`) in the
-- media store: the original and its variants (`variants`, a JSON array of {width, height, format, file}).
-- A row is written only once every file is stored. A post's feature image names one; a media a post uses
-- cannot be deleted.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL UNIQUE,
    original     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    bytes        BIGINT NOT NULL,
    alt          TEXT NOT NULL DEFAULT '',
    blurhash     TEXT NOT NULL,
    variants     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX media_newest_first ON media (created_at, id);
CREATE TABLE post_feature_images (
    post_id  BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    media_id BIGINT NOT NULL REFERENCES media (id)
);
CREATE INDEX post_feature_images_by_media ON post_feature_images (media_id);
