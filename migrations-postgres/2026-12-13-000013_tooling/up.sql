-- The managed tooling a trigger or an agent attaches ({"mcp_servers": [ids]}), and what
-- each execution was given (the definitions as queued: names and references, no values).
ALTER TABLE triggers ADD COLUMN tooling TEXT NOT NULL DEFAULT '{}';
ALTER TABLE agents ADD COLUMN tooling TEXT NOT NULL DEFAULT '{}';
ALTER TABLE executions ADD COLUMN tooling TEXT;
