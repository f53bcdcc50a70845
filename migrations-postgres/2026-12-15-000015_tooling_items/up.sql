-- Skills, commands, hooks and rules given to runs. kind is skill, command, hook or
-- rule (the id's prefix says it too); names are unique within a kind; version goes
-- up by one with every change.
CREATE TABLE tooling_items (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    content     TEXT NOT NULL,
    files_json  TEXT NOT NULL,
    event       TEXT,
    matcher     TEXT,
    arguments   TEXT,
    rule_type   TEXT,
    enabled     BOOLEAN NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (kind, name)
);
