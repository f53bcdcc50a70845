-- Projects: each roadmap is one aggregate (milestones, phases, requirements,
-- research, context), stored whole as JSON and saved with compare-and-set on
-- `version`, so every rule is checked on the complete plan and a change is all
-- or nothing. `name` mirrors the roadmap's project name, unique.
CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    roadmap     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
