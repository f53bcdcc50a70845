DROP TABLE webhook_dedup;
ALTER TABLE executions DROP COLUMN prompt_inputs;
