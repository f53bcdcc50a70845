-- Teams (the original platform's table, with the fields Agented reads). Members are a JSON
-- array of {agent_id, name, role}, kept in order with the team so a change is one write;
-- workflow_id is the workflow the topology compiles to.
CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    topology TEXT NOT NULL,
    topology_config TEXT NOT NULL DEFAULT '{}',
    leader_id TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    members TEXT NOT NULL DEFAULT '[]',
    workflow_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
