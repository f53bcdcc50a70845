-- MCP servers given to runs, in the original platform's columns. Secrets are never
-- stored: env_json and headers_json values may only name server variables as ${NAME}.
CREATE TABLE mcp_servers (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL UNIQUE,
    display_name      TEXT,
    description       TEXT,
    server_type       TEXT NOT NULL,
    command           TEXT,
    args              TEXT NOT NULL,
    env_json          TEXT NOT NULL,
    url               TEXT,
    headers_json      TEXT NOT NULL,
    timeout_ms        BIGINT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    category          TEXT NOT NULL,
    is_preset         BOOLEAN NOT NULL,
    documentation_url TEXT,
    npm_package       TEXT,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
