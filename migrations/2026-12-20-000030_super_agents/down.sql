DROP TABLE super_agent_messages;
DROP TABLE super_agent_chat_messages;
DROP TABLE super_agent_chats;
DROP TABLE super_agent_documents;
DROP TABLE super_agents;
