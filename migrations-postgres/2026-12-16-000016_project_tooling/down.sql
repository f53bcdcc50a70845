ALTER TABLE projects DROP COLUMN tooling;
