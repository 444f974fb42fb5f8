DROP TABLE post_seo;
