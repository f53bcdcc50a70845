DROP TABLE roadmap_versions;
