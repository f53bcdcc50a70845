ALTER TABLE executions DROP COLUMN cost_source;
ALTER TABLE executions DROP COLUMN stall_timeout_seconds;
ALTER TABLE triggers DROP COLUMN stall_timeout_seconds;
