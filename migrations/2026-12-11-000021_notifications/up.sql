-- Notifiers (outgoing webhooks, Slack) and their delivery log. A trigger's notifiers
-- go with it; a notifier's deliveries go with the notifier.
CREATE TABLE notifiers (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    url         TEXT NOT NULL,
    secret      TEXT,
    trigger_id  TEXT REFERENCES triggers (id) ON DELETE CASCADE,
    events      TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX idx_notifiers_trigger ON notifiers (trigger_id);

CREATE TABLE notification_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    notifier_id     TEXT NOT NULL REFERENCES notifiers (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    event_key       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    response_status BIGINT,
    error           TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (notifier_id, event_key)
);
CREATE INDEX idx_notification_deliveries_status ON notification_deliveries (status);
