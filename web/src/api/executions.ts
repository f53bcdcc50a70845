import { request } from './client'
import type { FallbackEntry, GivenTool, RunStarted } from './triggers'

export type ExecutionStatus = 'queued' | 'running' | 'success' | 'failed' | 'timeout' | 'cancelled' | 'interrupted' | 'budget_blocked' | 'rate_limited'

/** Statuses a run never leaves. */
export const FINAL_STATUSES: readonly string[] = ['success', 'failed', 'timeout', 'cancelled', 'interrupted', 'budget_blocked']

/** An untrusted value as substituted into the prompt (the prompt audit trail). */
export interface PromptInput {
  name: string
  value: string
  truncated: boolean
  original_chars: number
  sha256: string
}

export interface Execution {
  execution_id: string
  trigger_id: string
  trigger_type: string
  status: ExecutionStatus
  queued_at: string
  started_at: string | null
  finished_at: string | null
  duration_ms: number | null
  prompt: string
  backend_type: string
  backend_id: string | null
  model: string | null
  message: string | null
  command: string | null
  exit_code: number | null
  error_message: string | null
  input_tokens: number | null
  output_tokens: number | null
  total_cost_usd: number | null
  /** `reported` by the CLI or `estimated` from its tokens and the price table. */
  cost_source: 'reported' | 'estimated' | null
  account_id: string | null
  /** While `rate_limited`: when it tries again. */
  next_attempt_at: string | null
  /** Passes through its chain that every entry was rate-limited. */
  rate_limit_attempts: number
  retry_of: string | null
  /** The worker that ran it (`null` while queued). */
  worker: string | null
  /** The chain frozen into the run when it was queued (empty: its own backend). */
  fallback_chain: FallbackEntry[]
  log_lines: number
  local_paths: string[]
  repositories: string[]
  prompt_inputs: PromptInput[]
  /** The CLI's session id, as its output reported it: what a follow-up resumes. */
  session_id: string | null
  /** A follow-up: the execution it continues. */
  follow_up_of: string | null
  /** The GitHub event it answers. */
  github: GithubOrigin | null
  /** The managed tooling it was given, by name and version. */
  tooling: GivenTool[]
}

/** The pull request or issue a GitHub-fired run answers, and the commit it checked out. */
export interface GithubOrigin {
  repository: string
  number: number | null
  pull_request: boolean
  commit: string | null
}

export interface ExecutionPage {
  executions: Execution[]
  total: number
}

export interface ExecutionFilters {
  trigger_id?: string
  status?: string
  since?: string
  until?: string
}

export interface LogLine {
  seq: number
  timestamp: string
  stream: 'stdout' | 'stderr'
  content: string
}

const path = (id: string) => `/admin/executions/${encodeURIComponent(id)}`

export function listExecutions(filters: ExecutionFilters, limit: number, offset: number, signal?: AbortSignal): Promise<ExecutionPage> {
  const params = new URLSearchParams({ limit: String(limit), offset: String(offset) })
  for (const [name, value] of Object.entries(filters)) {
    if (value) params.set(name, value)
  }
  return request<ExecutionPage>(`/admin/executions?${params}`, { signal })
}

export function getExecution(id: string, signal?: AbortSignal): Promise<Execution> {
  return request<Execution>(path(id), { signal })
}

export function cancelExecution(id: string): Promise<{ status: string }> {
  return request(`${path(id)}/cancel`, { method: 'POST' })
}

export function retryExecution(id: string): Promise<RunStarted> {
  return request<RunStarted>(`${path(id)}/retry`, { method: 'POST' })
}

/** Runs the execution's CLI again with its session resumed, in its workspace, on `message`. */
export function followUpExecution(id: string, message: string): Promise<RunStarted> {
  return request<RunStarted>(`${path(id)}/follow-up`, { method: 'POST', body: { message } })
}

/** Tries a run waiting on a rate limit now instead of at its next attempt. */
export function tryNow(id: string): Promise<Execution> {
  return request<Execution>(`${path(id)}/try-now`, { method: 'POST' })
}

/** A one-minute token that opens this execution's stream from an `EventSource`. */
export function streamToken(id: string): Promise<{ token: string; stream_url: string }> {
  return request(`${path(id)}/stream-token`, { method: 'POST' })
}
