-- A run silent for this many seconds is stopped (0: never); NULL: the server's default.
ALTER TABLE triggers ADD COLUMN stall_timeout_seconds INTEGER;
ALTER TABLE executions ADD COLUMN stall_timeout_seconds INTEGER;
-- Where total_cost_usd came from: 'reported' by the CLI or 'estimated' from the price table.
ALTER TABLE executions ADD COLUMN cost_source TEXT CHECK (cost_source IN ('reported', 'estimated'));
UPDATE executions SET cost_source = 'reported' WHERE total_cost_usd IS NOT NULL;
