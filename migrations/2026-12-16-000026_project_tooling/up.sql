-- The managed tooling a project's planning and research runs get (ids per kind, as triggers').
ALTER TABLE projects ADD COLUMN tooling TEXT NOT NULL DEFAULT '{}';
