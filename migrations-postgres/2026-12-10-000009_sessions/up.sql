-- A run's CLI session and origin: the session id its output reported (what a
-- follow-up resumes), the GitHub event it answers (repository, pull request or
-- issue, commit; JSON), and, for a follow-up, the run it continues (JSON).
ALTER TABLE executions ADD COLUMN session_id TEXT;
ALTER TABLE executions ADD COLUMN github TEXT;
ALTER TABLE executions ADD COLUMN resume TEXT;
-- What a GitHub-fired run posts back: none, comment, review or check.
ALTER TABLE triggers ADD COLUMN post_result TEXT NOT NULL DEFAULT 'none';
