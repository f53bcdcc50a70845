-- Orchestration: accounts of each backend, fallback chains, rate-limit
-- retries of executions, and budgets.

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY NOT NULL,
    backend_id          TEXT NOT NULL REFERENCES backends (id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    -- The *name* of the environment variable holding the API key, never the key.
    api_key_env         TEXT,
    config_dir          TEXT,
    is_default          BOOLEAN NOT NULL DEFAULT 0,
    plan                TEXT,
    rate_limited_until  TIMESTAMP,
    rate_limit_reason   TEXT,
    rate_limit_hits     BIGINT NOT NULL DEFAULT 0,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    UNIQUE (backend_id, name)
);
-- At most one default account per backend.
CREATE UNIQUE INDEX accounts_one_default ON accounts (backend_id) WHERE is_default;

ALTER TABLE triggers ADD COLUMN fallback_chain TEXT NOT NULL DEFAULT '[]';

-- The chain is frozen with the run; a rate-limited run waits for next_attempt_at.
ALTER TABLE executions ADD COLUMN next_attempt_at TIMESTAMP;
ALTER TABLE executions ADD COLUMN rate_limit_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN fallback_chain TEXT NOT NULL DEFAULT '[]';
CREATE INDEX executions_waiting ON executions (next_attempt_at) WHERE status = 'rate_limited';
CREATE INDEX executions_by_account ON executions (account_id, queued_at);

CREATE TABLE budgets (
    id              TEXT PRIMARY KEY NOT NULL,
    scope           TEXT NOT NULL CHECK (scope IN ('global', 'trigger', 'backend', 'account')),
    entity_id       TEXT,
    period          TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
    timezone        TEXT NOT NULL,
    soft_limit_usd  DOUBLE,
    hard_limit_usd  DOUBLE,
    -- Start of the period whose soft warning was already given (one per period).
    warned_period   TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK ((scope = 'global') = (entity_id IS NULL))
);
-- One budget per scope, entity and period (NULLs would not collide in a UNIQUE constraint).
CREATE UNIQUE INDEX budgets_one_per_scope ON budgets (scope, COALESCE(entity_id, ''), period);
