ALTER TABLE executions DROP COLUMN tooling;
ALTER TABLE agents DROP COLUMN tooling;
ALTER TABLE triggers DROP COLUMN tooling;
