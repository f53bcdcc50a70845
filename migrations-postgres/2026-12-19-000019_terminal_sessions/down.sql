DROP TABLE terminal_output;
DROP TABLE terminal_sessions;
