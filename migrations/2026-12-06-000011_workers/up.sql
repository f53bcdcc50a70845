-- Worker processes that run jobs, and which worker ran each execution.
CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    labels TEXT NOT NULL DEFAULT '[]',
    capacity INTEGER NOT NULL,
    running INTEGER NOT NULL DEFAULT 0,
    version TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL,
    stopped_at TIMESTAMP,
    lost_at TIMESTAMP
);
CREATE INDEX workers_by_heartbeat ON workers (heartbeat_at);

ALTER TABLE executions ADD COLUMN worker_id TEXT;
CREATE INDEX executions_by_worker ON executions (worker_id) WHERE worker_id IS NOT NULL;
-- A claim counts its trigger's running runs, and a capped insert its queued and running
-- ones, inside their transactions: an index on both columns keeps that to a few rows.
CREATE INDEX executions_by_trigger_status ON executions (trigger_id, status);
