DROP INDEX executions_by_trigger_status;
DROP INDEX executions_by_worker;
ALTER TABLE executions DROP COLUMN worker_id;
DROP TABLE workers;
