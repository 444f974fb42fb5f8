-- Webhooks (README "Webhooks"): subscriptions, the outbox of events written in the transaction of the change
-- that caused them, one delivery per event and subscription, and every attempt at one.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT NOT NULL,
    -- The event types it wants, comma-separated between commas (",post.published,comment.created,"), so that
    -- the fan-out matches one with LIKE '%,type,%'.
    events     TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT 1,
    -- "whsec_" + base64 of 32 random bytes: the HMAC key of the Standard Webhooks signature.
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_events (
    -- "msg_" + a UUID: the webhook-id header, the same on every attempt (receivers deduplicate on it).
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    -- The body sent, byte for byte: {"type", "timestamp", "data"}.
    payload    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    -- pending (to send, or being sent while claimed_until is ahead), delivered, failed (given up).
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- When WEBHOOK_MAX_AGE starts counting: the event's creation, or a manual retry.
    retry_from      TIMESTAMP NOT NULL,
    -- A worker's claim: until this instant no other worker takes the delivery; a worker that died loses it then.
    claimed_until   TIMESTAMP,
    claim           TEXT,
    created_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number          BIGINT NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    duration_ms     BIGINT NOT NULL,
    response_status BIGINT,
    error           TEXT,
    -- The start of the receiver's answer (at most 1 KiB), for the operator reading the log.
    response_body   TEXT
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, number);

-- Whether post.published has been sent for the post's current publication: set when a write makes it public
-- or when the worker finds its scheduled time has come; cleared when it is unpublished. Posts already public
-- are not announced again.
ALTER TABLE posts ADD COLUMN announced BOOLEAN NOT NULL DEFAULT 0;
UPDATE posts SET announced = 1
    WHERE published_at IS NOT NULL AND published_at <= datetime('now');
CREATE INDEX posts_unannounced_idx ON posts (published_at) WHERE NOT announced AND published_at IS NOT NULL;
