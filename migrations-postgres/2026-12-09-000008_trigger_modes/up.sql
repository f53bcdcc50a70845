-- What a trigger's firing runs (the original's execution_mode and team_id): its own CLI
-- (direct), a team, or a workflow (workflow_id).
ALTER TABLE triggers ADD COLUMN execution_mode TEXT NOT NULL DEFAULT 'direct';
ALTER TABLE triggers ADD COLUMN team_id TEXT;
ALTER TABLE triggers ADD COLUMN workflow_id TEXT;
