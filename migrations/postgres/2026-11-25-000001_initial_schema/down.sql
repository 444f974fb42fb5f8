DROP TABLE api_tokens;
DROP TABLE counter_batches;
DROP TABLE post_counters;
DROP TABLE comments;
DROP TABLE post_tags;
DROP TABLE posts;
DROP TABLE tags;
DROP TABLE categories;
