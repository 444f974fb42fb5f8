DROP INDEX posts_unannounced_idx;
ALTER TABLE posts DROP COLUMN announced;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhooks;
