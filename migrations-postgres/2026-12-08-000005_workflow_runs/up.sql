-- Runs of workflows (the original platform's workflow_executions) and their nodes. Every
-- node transition is a write, so a run continues from these rows after a crash; `driver`
-- is the worker process advancing a run, taken over when the registry finds it gone.
CREATE TABLE workflow_executions (
    id TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    input_json TEXT NOT NULL,
    output_json TEXT,
    error TEXT,
    origin TEXT NOT NULL,
    driver TEXT,
    started_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX workflow_executions_by_workflow ON workflow_executions (workflow_id, started_at);
CREATE INDEX workflow_executions_active ON workflow_executions (status) WHERE status IN ('pending', 'running');
CREATE TABLE workflow_node_executions (
    execution_id TEXT NOT NULL REFERENCES workflow_executions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    node_type TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    retry_at TIMESTAMP,
    input_json TEXT,
    output_json TEXT,
    error TEXT,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    children TEXT NOT NULL DEFAULT '[]',
    cost_usd DOUBLE PRECISION,
    decision TEXT,
    PRIMARY KEY (execution_id, node_id)
);
