-- Roadmaps as they were before a recorded change (an accepted plan, a restore),
-- so the change can be undone. Deleted with their project.
CREATE TABLE roadmap_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    roadmap     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX roadmap_versions_by_project ON roadmap_versions (project_id, id);
