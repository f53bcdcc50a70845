import { request } from './client'

/** A persistent agent (docs/sessions.md). */
export interface SuperAgent {
  id: string
  name: string
  description: string
  backend_type: string
  preferred_model: string | null
  created_at: string
  updated_at: string
}

export type DocType = 'IDENTITY' | 'SOUL' | 'ROLE' | 'MEMORY'
export const DOC_TYPES: DocType[] = ['IDENTITY', 'SOUL', 'ROLE', 'MEMORY']

export interface AgentDocument {
  doc_type: DocType
  content: string
  version: number
  updated_at: string
}

export interface DocumentVersion {
  doc_type: DocType
  version: number
  content: string
  changed_by: string
  at: string
}

export interface Chat {
  id: string
  super_agent_id: string
  status: 'active' | 'ended'
  turn: 'idle' | 'running'
  turn_execution_id: string | null
  last_execution_id: string | null
  cli_session_id: string | null
  created_at: string
  ended_at: string | null
}

export interface ChatMessage {
  seq: number
  role: 'user' | 'assistant' | 'system'
  content: string
  execution_id: string | null
  at: string
}

const base = (id: string) => `/admin/super-agents/${encodeURIComponent(id)}`
const chatBase = (id: string, chat: string) => `${base(id)}/sessions/${encodeURIComponent(chat)}`

export async function listSuperAgents(): Promise<SuperAgent[]> {
  return (await request<{ super_agents: SuperAgent[] }>('/admin/super-agents')).super_agents
}

export function createSuperAgent(body: { name: string; description?: string; backend_type?: string }): Promise<SuperAgent> {
  return request<SuperAgent>('/admin/super-agents', { method: 'POST', body })
}

export async function listDocuments(id: string): Promise<AgentDocument[]> {
  return (await request<{ documents: AgentDocument[] }>(`${base(id)}/documents`)).documents
}

export function saveDocument(id: string, kind: DocType, content: string): Promise<AgentDocument> {
  return request<AgentDocument>(`${base(id)}/documents/${kind}`, { method: 'PUT', body: { content } })
}

export async function documentVersions(id: string, kind: DocType): Promise<DocumentVersion[]> {
  return (await request<{ versions: DocumentVersion[] }>(`${base(id)}/documents/${kind}/versions`)).versions
}

export async function listChats(id: string): Promise<Chat[]> {
  return (await request<{ sessions: Chat[] }>(`${base(id)}/sessions`)).sessions
}

export function openChat(id: string): Promise<Chat> {
  return request<Chat>(`${base(id)}/sessions`, { method: 'POST', body: {} })
}

export function getChat(id: string, chat: string): Promise<Chat & { messages: ChatMessage[] }> {
  return request(chatBase(id, chat))
}

export function say(id: string, chat: string, content: string): Promise<ChatMessage> {
  return request<ChatMessage>(`${chatBase(id, chat)}/chat`, { method: 'POST', body: { content } })
}

export function chatStreamToken(id: string, chat: string): Promise<{ stream_url: string }> {
  return request<{ stream_url: string }>(`${chatBase(id, chat)}/chat/stream-token`, { method: 'POST', body: {} })
}
