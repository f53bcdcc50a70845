-- Interactive terminal sessions (docs/sessions.md) and their output, in order.
CREATE TABLE terminal_sessions (
    id               TEXT PRIMARY KEY NOT NULL,
    project_id       TEXT,
    purpose          TEXT NOT NULL CHECK (purpose IN ('terminal', 'planning')),
    program          TEXT NOT NULL,
    args             TEXT NOT NULL,
    status           TEXT NOT NULL,
    exit_code        INTEGER,
    reason           TEXT,
    created_by       TEXT NOT NULL,
    host             TEXT NOT NULL,
    term_cols        INTEGER NOT NULL,
    term_rows        INTEGER NOT NULL,
    output_seq       BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    ended_at         TIMESTAMP
);
CREATE INDEX terminal_sessions_by_status ON terminal_sessions (status);
CREATE INDEX terminal_sessions_by_project ON terminal_sessions (project_id, created_at);

-- One row per chunk read from the terminal: bounded rows, never a growing blob.
CREATE TABLE terminal_output (
    session_id TEXT NOT NULL REFERENCES terminal_sessions (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    at         TIMESTAMP NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
