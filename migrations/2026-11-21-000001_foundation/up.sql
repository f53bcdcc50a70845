-- CLI backends: the four built-ins (seeded by seeds.rs) and, later, custom commands.
CREATE TABLE backends (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    backend_type  TEXT NOT NULL,
    command       TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    is_builtin    BOOLEAN NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL
);

-- Triggers: fields as listed in COMPATIBILITY.md.
CREATE TABLE triggers (
    id                     TEXT PRIMARY KEY NOT NULL,
    name                   TEXT NOT NULL UNIQUE,
    prompt_template        TEXT NOT NULL,
    backend_type           TEXT NOT NULL,
    trigger_source         TEXT NOT NULL CHECK (trigger_source IN ('webhook', 'github', 'manual', 'scheduled')),
    enabled                BOOLEAN NOT NULL DEFAULT 1,
    is_predefined          BOOLEAN NOT NULL DEFAULT 0,
    match_field_path       TEXT,
    match_field_value      TEXT,
    text_field_path        TEXT NOT NULL DEFAULT 'text',
    detection_keyword      TEXT,
    schedule_type          TEXT CHECK (schedule_type IS NULL OR schedule_type IN ('daily', 'weekly', 'monthly')),
    schedule_time          TEXT,
    schedule_day           INTEGER,
    schedule_timezone      TEXT,
    next_run_at            TIMESTAMP,
    last_run_at            TIMESTAMP,
    skill_command          TEXT,
    model                  TEXT,
    timeout_seconds        INTEGER NOT NULL DEFAULT 600 CHECK (timeout_seconds BETWEEN 60 AND 3600),
    sigterm_grace_seconds  INTEGER NOT NULL DEFAULT 10,
    allowed_tools          TEXT,
    webhook_secret         TEXT,
    created_at             TIMESTAMP NOT NULL
);
