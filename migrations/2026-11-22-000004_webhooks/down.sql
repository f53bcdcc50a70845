DROP TABLE webhook_deliveries;
ALTER TABLE triggers DROP COLUMN github_events;
ALTER TABLE triggers DROP COLUMN github_repos;
DROP TABLE webhook_dedup;
ALTER TABLE executions DROP COLUMN prompt_inputs;
