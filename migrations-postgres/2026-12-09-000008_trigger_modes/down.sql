ALTER TABLE triggers DROP COLUMN workflow_id;
ALTER TABLE triggers DROP COLUMN team_id;
ALTER TABLE triggers DROP COLUMN execution_mode;
