-- Schedules: a cron pattern (schedule_type stays NULL for it, as the first
-- migration's CHECK allows only daily, weekly and monthly there; the store
-- reads a NULL type with a pattern as `cron`), and whether slots missed while
-- the server was down are run once (catch_up) or skipped.
ALTER TABLE triggers ADD COLUMN schedule_cron TEXT;
ALTER TABLE triggers ADD COLUMN catch_up BOOLEAN NOT NULL DEFAULT 0;

-- The scheduler (every second) and webhook deliveries read only the triggers of their source.
CREATE INDEX triggers_by_source ON triggers (trigger_source);
