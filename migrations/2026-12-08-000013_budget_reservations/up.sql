-- What a running run is expected to spend, held against the hard limits of the
-- budgets covering its attempt, so runs starting at once on several workers count
-- each other. One per run; it counts while the run is `running`.
CREATE TABLE budget_reservations (
    execution_id TEXT PRIMARY KEY NOT NULL REFERENCES executions (execution_id) ON DELETE CASCADE,
    backend_id TEXT NOT NULL,
    account_id TEXT,
    amount_usd DOUBLE NOT NULL,
    reserved_at TIMESTAMP NOT NULL
);
