ALTER TABLE executions DROP COLUMN resume;
ALTER TABLE executions DROP COLUMN checkout;
ALTER TABLE executions DROP COLUMN session_id;
