-- The event stream (README "Event stream"): every event of the outbox gets a place in one sequence, the id
-- `GET /events` gives it and `Last-Event-ID` resumes after. The number is taken from a counter in the version
-- row, under its lock (held to the commit), so places commit in their order: a reader that has seen place N
-- never sees a smaller one appear later. Public events are stored whether or not a webhook wants them
-- (`db::webhooks::emit`); pruning old ones moves `events_pruned_through`, and a client resuming from before it
-- is told to resync.
ALTER TABLE content_version ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE content_version ADD COLUMN events_pruned_through BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_events SET seq = numbered.place
    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS place FROM webhook_events) AS numbered
    WHERE webhook_events.id = numbered.id;
UPDATE content_version SET event_seq = (SELECT COUNT(*) FROM webhook_events) WHERE id = 1;
CREATE UNIQUE INDEX webhook_events_by_seq ON webhook_events (seq);

CREATE FUNCTION number_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET event_seq = event_seq + 1 WHERE id = 1 RETURNING event_seq INTO NEW.seq;
    RETURN NEW;
END
$$;
CREATE TRIGGER webhook_events_number BEFORE INSERT ON webhook_events FOR EACH ROW EXECUTE FUNCTION number_event();
