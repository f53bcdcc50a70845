-- Planning work of a project: AI planning sessions and research runs, each
-- stored whole as JSON (`kind` says which) and saved with compare-and-set on
-- `version`, like projects. `active` marks work whose runs may still be going,
-- so the server's watcher reads only those. Deleted with their project.
CREATE TABLE planning_work (
    id          TEXT PRIMARY KEY NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX planning_work_by_project ON planning_work (project_id, created_at);
CREATE INDEX planning_work_active ON planning_work (active) WHERE active;
