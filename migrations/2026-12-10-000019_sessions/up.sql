-- A run's CLI session and origin: the session id its output reported (what a
-- follow-up resumes), the GitHub event it answers (repository, pull request or
-- issue, commit; JSON), and, for a follow-up, the run it continues (JSON).
ALTER TABLE executions ADD COLUMN session_id TEXT;
ALTER TABLE executions ADD COLUMN github TEXT;
ALTER TABLE executions ADD COLUMN resume TEXT;
-- What a GitHub-fired run posts back: none, comment, review or check.
ALTER TABLE triggers ADD COLUMN post_result TEXT NOT NULL DEFAULT 'none';
-- A trigger's setup step (a script run before the CLI, and the secrets it gets by name),
-- frozen into each run.
ALTER TABLE triggers ADD COLUMN setup_script TEXT;
ALTER TABLE triggers ADD COLUMN setup_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE executions ADD COLUMN setup TEXT;
