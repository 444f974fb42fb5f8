DROP TABLE post_feature_images;
DROP TABLE media;
