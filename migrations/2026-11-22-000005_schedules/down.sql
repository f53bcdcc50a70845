DROP INDEX triggers_by_source;
ALTER TABLE triggers DROP COLUMN catch_up;
ALTER TABLE triggers DROP COLUMN schedule_cron;
