-- Settings clients keep on the server (the Python Agented's /api/settings): a key and a text value.
CREATE TABLE client_settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
