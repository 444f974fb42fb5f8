-- Comments rendered before images were removed from comment HTML: emptied, so they are rendered again
-- from their Markdown (without images) whenever read.
UPDATE comments SET body_html = '' WHERE body_html LIKE '%<img%';
