ALTER TABLE executions DROP COLUMN setup;
ALTER TABLE triggers DROP COLUMN setup_secrets;
ALTER TABLE triggers DROP COLUMN setup_script;
ALTER TABLE triggers DROP COLUMN post_result;
ALTER TABLE executions DROP COLUMN resume;
ALTER TABLE executions DROP COLUMN github;
ALTER TABLE executions DROP COLUMN session_id;
