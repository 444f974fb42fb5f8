ALTER TABLE comments DROP COLUMN body_html;
