DROP TABLE post_authors;
DROP TABLE authors;
