DROP TABLE reader_salts;
