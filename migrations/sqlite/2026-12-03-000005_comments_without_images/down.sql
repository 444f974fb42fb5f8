-- Nothing to undo: an empty body_html is rendered from the Markdown when read.
SELECT 1;
