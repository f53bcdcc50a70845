ALTER TABLE triggers DROP COLUMN required_labels;
