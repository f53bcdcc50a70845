-- What a run's CLI session and workspace are: the session id its output
-- reported (what a follow-up resumes), the commit its event asked for, and,
-- for a follow-up, the run it continues (JSON).
ALTER TABLE executions ADD COLUMN session_id TEXT;
ALTER TABLE executions ADD COLUMN checkout TEXT;
ALTER TABLE executions ADD COLUMN resume TEXT;
