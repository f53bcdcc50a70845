ALTER TABLE triggers DROP COLUMN post_result;
ALTER TABLE executions DROP COLUMN resume;
ALTER TABLE executions DROP COLUMN github;
ALTER TABLE executions DROP COLUMN session_id;
