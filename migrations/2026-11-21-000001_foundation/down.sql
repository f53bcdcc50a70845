DROP TABLE triggers;
DROP TABLE backends;
