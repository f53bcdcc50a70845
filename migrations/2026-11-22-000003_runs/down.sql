DROP TABLE execution_logs;
DROP TABLE executions;
DROP TABLE trigger_paths;
ALTER TABLE backends DROP COLUMN working_dir;
ALTER TABLE backends DROP COLUMN env;
ALTER TABLE backends DROP COLUMN args;
ALTER TABLE triggers DROP COLUMN concurrency_policy;
ALTER TABLE triggers DROP COLUMN max_concurrent;
ALTER TABLE triggers DROP COLUMN backend_id;
