DROP TRIGGER webhook_events_number ON webhook_events;
DROP FUNCTION number_event();
DROP INDEX webhook_events_by_seq;
ALTER TABLE webhook_events DROP COLUMN seq;
ALTER TABLE content_version DROP COLUMN events_pruned_through;
ALTER TABLE content_version DROP COLUMN event_seq;
