DROP TABLE post_click_days;
DROP TABLE post_click_hours;
