-- The untrusted values substituted into each prompt (JSON list: name, value, truncated, original_chars, sha256).
ALTER TABLE executions ADD COLUMN prompt_inputs TEXT NOT NULL DEFAULT '[]';

-- Webhook deliveries that started runs, per trigger, until the dedup window ends.
CREATE TABLE webhook_dedup (
    trigger_id    TEXT NOT NULL,
    dedup_key     TEXT NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (trigger_id, dedup_key)
) WITHOUT ROWID;
CREATE INDEX webhook_dedup_by_expiry ON webhook_dedup (expires_at);

-- GitHub triggers: which repositories (empty: any) and which events (`event` or `event.action`).
ALTER TABLE triggers ADD COLUMN github_repos TEXT NOT NULL DEFAULT '[]';
ALTER TABLE triggers ADD COLUMN github_events TEXT NOT NULL
    DEFAULT '["pull_request.opened","pull_request.synchronize","pull_request.reopened"]';

-- The delivery inspector: recent webhook deliveries per trigger (and unmatched ones, trigger_id
-- NULL), stored truncated with secrets in headers redacted, and what was decided.
CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    received_at   TIMESTAMP NOT NULL,
    source        TEXT NOT NULL,
    event         TEXT,
    trigger_id    TEXT,
    decision      TEXT NOT NULL,
    reason        TEXT,
    execution_id  TEXT,
    headers       TEXT NOT NULL,
    body          TEXT NOT NULL,
    body_bytes    BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_by_trigger ON webhook_deliveries (trigger_id, id);
