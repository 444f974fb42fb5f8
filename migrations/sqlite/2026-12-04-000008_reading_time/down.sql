ALTER TABLE posts DROP COLUMN reading_time_minutes;
ALTER TABLE posts DROP COLUMN word_count;
