-- Nothing to do: SQLite's FTS5 table already stores its index (the PostgreSQL migration of this version adds a stored tsvector).
SELECT 1;
