-- Persistent agents (docs/sessions.md): their documents with every version, chats and
-- their messages, and messages between agents.
CREATE TABLE super_agents (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    backend     TEXT NOT NULL,
    model       TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- Every text a document had; its current text is its highest version.
CREATE TABLE super_agent_documents (
    agent_id   TEXT NOT NULL REFERENCES super_agents (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('SOUL', 'IDENTITY', 'MEMORY', 'ROLE')),
    version    BIGINT NOT NULL,
    content    TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    at         TIMESTAMP NOT NULL,
    PRIMARY KEY (agent_id, kind, version)
);

CREATE TABLE super_agent_chats (
    id             TEXT PRIMARY KEY NOT NULL,
    agent_id       TEXT NOT NULL REFERENCES super_agents (id) ON DELETE CASCADE,
    status         TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    turn_execution TEXT,
    last_execution TEXT,
    cli_session    TEXT,
    message_seq    BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    ended_at       TIMESTAMP
);
CREATE INDEX super_agent_chats_by_agent ON super_agent_chats (agent_id, created_at);

CREATE TABLE super_agent_chat_messages (
    chat_id      TEXT NOT NULL REFERENCES super_agent_chats (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content      TEXT NOT NULL,
    execution_id TEXT,
    at           TIMESTAMP NOT NULL,
    PRIMARY KEY (chat_id, seq)
);

CREATE TABLE super_agent_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    from_agent TEXT NOT NULL REFERENCES super_agents (id) ON DELETE CASCADE,
    to_agent   TEXT NOT NULL REFERENCES super_agents (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
CREATE INDEX super_agent_messages_to ON super_agent_messages (to_agent, id);
CREATE INDEX super_agent_messages_from ON super_agent_messages (from_agent, id);
