-- PostgreSQL announces content version bumps (migration 7 there); SQLite has no listeners: instances poll.
SELECT 1;
