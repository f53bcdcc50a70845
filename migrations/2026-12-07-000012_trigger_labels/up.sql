-- Labels the worker that runs a trigger's runs must have (a JSON list of strings).
ALTER TABLE triggers ADD COLUMN required_labels TEXT NOT NULL DEFAULT '[]';
