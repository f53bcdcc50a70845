-- Runs: trigger settings for custom backends and concurrency, project paths,
-- custom command backends, executions and their log lines.

ALTER TABLE triggers ADD COLUMN backend_id TEXT;
ALTER TABLE triggers ADD COLUMN max_concurrent INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent BETWEEN 1 AND 20);
ALTER TABLE triggers ADD COLUMN concurrency_policy TEXT NOT NULL DEFAULT 'queue' CHECK (concurrency_policy IN ('queue', 'reject'));

CREATE TABLE trigger_paths (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    trigger_id  TEXT NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('local', 'repository')),
    path        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (trigger_id, path)
);

-- Custom command backends: JSON argument template, environment, working directory.
ALTER TABLE backends ADD COLUMN args TEXT;
ALTER TABLE backends ADD COLUMN env TEXT;
ALTER TABLE backends ADD COLUMN working_dir TEXT;

-- No foreign key to triggers: an execution is history and outlives its trigger.
CREATE TABLE executions (
    execution_id           TEXT PRIMARY KEY NOT NULL,
    trigger_id             TEXT NOT NULL,
    trigger_type           TEXT NOT NULL,
    status                 TEXT NOT NULL,
    queued_at              TIMESTAMP NOT NULL,
    started_at             TIMESTAMP,
    finished_at            TIMESTAMP,
    duration_ms            BIGINT,
    prompt                 TEXT NOT NULL,
    backend_type           TEXT NOT NULL,
    backend_id             TEXT,
    model                  TEXT,
    allowed_tools          TEXT,
    local_paths            TEXT NOT NULL DEFAULT '[]',
    repositories           TEXT NOT NULL DEFAULT '[]',
    timeout_seconds        INTEGER NOT NULL,
    sigterm_grace_seconds  INTEGER NOT NULL,
    message                TEXT,
    command                TEXT,
    exit_code              INTEGER,
    error_message          TEXT,
    input_tokens           BIGINT,
    output_tokens          BIGINT,
    total_cost_usd         DOUBLE,
    account_id             TEXT,
    pgid                   INTEGER,
    retry_of               TEXT,
    log_lines              BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX executions_by_trigger ON executions (trigger_id, queued_at);
CREATE INDEX executions_by_status ON executions (status);
CREATE INDEX executions_by_time ON executions (queued_at);

-- One row per line: bounded rows, never a growing blob.
CREATE TABLE execution_logs (
    execution_id  TEXT NOT NULL REFERENCES executions (execution_id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    at            TIMESTAMP NOT NULL,
    stream        TEXT NOT NULL,
    content       TEXT NOT NULL,
    PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;
