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
