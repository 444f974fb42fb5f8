-- Comments are Markdown too: rendered and sanitized once, when written, like post bodies.
ALTER TABLE comments ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
