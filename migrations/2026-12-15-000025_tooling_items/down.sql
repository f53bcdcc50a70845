DROP TABLE tooling_items;
