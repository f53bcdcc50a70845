DROP TABLE client_settings;
