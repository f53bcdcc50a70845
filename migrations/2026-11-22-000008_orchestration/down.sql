DROP INDEX budgets_one_per_scope;
DROP TABLE budgets;
DROP INDEX executions_by_account;
DROP INDEX executions_waiting;
ALTER TABLE executions DROP COLUMN fallback_chain;
ALTER TABLE executions DROP COLUMN rate_limit_attempts;
ALTER TABLE executions DROP COLUMN next_attempt_at;
ALTER TABLE triggers DROP COLUMN fallback_chain;
DROP TABLE accounts;
