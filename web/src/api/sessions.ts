import { request } from './client'

/** An interactive terminal session (docs/sessions.md). */
export interface TerminalSession {
  id: string
  project_id: string | null
  purpose: 'terminal' | 'planning'
  program: string
  args: string[]
  status: 'running' | 'paused' | 'exited' | 'stopped' | 'timed_out' | 'interrupted' | 'failed'
  exit_code: number | null
  reason: string | null
  created_by: string
  host: string
  cols: number
  rows: number
  created_at: string
  last_activity_at: string
  ended_at: string | null
}

export interface SessionList {
  sessions: TerminalSession[]
  /** What a new session may run. */
  programs: string[]
}

export interface OpenSession {
  program: string
  args?: string[]
  project_id?: string
  cols?: number
  rows?: number
}

const base = (id: string) => `/admin/sessions/${encodeURIComponent(id)}`

export function listSessions(projectId?: string): Promise<SessionList> {
  const query = projectId ? `?project_id=${encodeURIComponent(projectId)}` : ''
  return request<SessionList>(`/admin/sessions${query}`)
}

export function openSession(body: OpenSession): Promise<TerminalSession> {
  return request<TerminalSession>('/admin/sessions', { method: 'POST', body })
}

export function getSession(id: string): Promise<TerminalSession> {
  return request<TerminalSession>(base(id))
}

/** Types `text` into the session, as a terminal sends keys (`\r` is Enter). */
export async function sendInput(id: string, text: string): Promise<void> {
  await request<unknown>(`${base(id)}/input`, { method: 'POST', body: { text } })
}

export function resizeSession(id: string, cols: number, rows: number): Promise<TerminalSession> {
  return request<TerminalSession>(`${base(id)}/resize`, { method: 'POST', body: { cols, rows } })
}

export function sessionAction(id: string, action: 'stop' | 'pause' | 'resume'): Promise<TerminalSession> {
  return request<TerminalSession>(`${base(id)}/${action}`, { method: 'POST', body: {} })
}

export function sessionStreamToken(id: string): Promise<{ stream_url: string }> {
  return request<{ stream_url: string }>(`${base(id)}/stream-token`, { method: 'POST', body: {} })
}

/** Starts `/grd:<command> <args>` in a planning session on the project (409 while one is open). */
export function invokePlanning(projectId: string, command: string, args: string[]): Promise<{ session_id: string; session: TerminalSession }> {
  return request(`/api/projects/${encodeURIComponent(projectId)}/planning/invoke`, { method: 'POST', body: { command, args } })
}
