-- The event stream (README "Event stream"): every event of the outbox gets a place in one sequence, the id
-- `GET /events` gives it and `Last-Event-ID` resumes after. The number comes from a counter in the version
-- row, inside the write transaction (SQLite runs one at a time), so places commit in their order. Public
-- events are stored whether or not a webhook wants them (`db::webhooks::emit`); pruning old ones moves
-- `events_pruned_through`, and a client resuming from before it is told to resync.
ALTER TABLE content_version ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE content_version ADD COLUMN events_pruned_through BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_events SET seq = numbered.place
    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS place FROM webhook_events) AS numbered
    WHERE webhook_events.id = numbered.id;
UPDATE content_version SET event_seq = (SELECT COUNT(*) FROM webhook_events) WHERE id = 1;
CREATE INDEX webhook_events_by_seq ON webhook_events (seq);

CREATE TRIGGER webhook_events_number AFTER INSERT ON webhook_events BEGIN
    UPDATE content_version SET event_seq = event_seq + 1 WHERE id = 1;
    UPDATE webhook_events SET seq = (SELECT event_seq FROM content_version WHERE id = 1) WHERE id = NEW.id;
END;
