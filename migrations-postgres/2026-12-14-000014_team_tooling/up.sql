-- The managed tooling a team gives every member's run ({"mcp_servers": [ids]}).
ALTER TABLE teams ADD COLUMN tooling TEXT NOT NULL DEFAULT '{}';
