-- Plugins: Claude Code's bundles. Their skills, commands and hooks are tooling_items
-- (components_json: [{id, path}]); every other file is kept as it was (files_json), as
-- is the manifest and the marketplace it came with (marketplace_json), for the export.
CREATE TABLE plugins (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT,
    version          TEXT,
    author           TEXT,
    manifest         TEXT NOT NULL,
    components_json  TEXT NOT NULL,
    files_json       TEXT NOT NULL,
    marketplace_json TEXT,
    source           TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
