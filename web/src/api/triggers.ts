import { request } from './client'
import type { Tooling } from './tooling'

export type BackendType = 'claude' | 'codex' | 'gemini' | 'opencode'
export type TriggerSource = 'manual' | 'webhook' | 'github' | 'scheduled'
export type ScheduleType = 'daily' | 'weekly' | 'monthly' | 'cron'

/** A trigger's latest run; `idle` when it never ran. */
export interface TriggerStatus {
  status: string
  started_at: string | null
  finished_at: string | null
  error_message: string | null
  execution_id: string | null
}

export interface TriggerPath {
  id: number
  kind: 'local' | 'repository'
  local_project_path: string | null
  github_repo_url: string | null
  path: string
  created_at: string
}

export interface Trigger {
  id: string
  name: string
  prompt_template: string
  backend_type: BackendType
  backend_id: string | null
  trigger_source: TriggerSource
  enabled: boolean
  is_predefined: boolean
  match_field_path: string | null
  match_field_value: string | null
  text_field_path: string
  detection_keyword: string | null
  schedule_type: ScheduleType | null
  schedule_time: string | null
  schedule_day: number | null
  schedule_cron: string | null
  schedule_timezone: string | null
  catch_up: boolean
  next_run_at: string | null
  last_run_at: string | null
  skill_command: string | null
  model: string | null
  timeout_seconds: number
  sigterm_grace_seconds: number
  /** Seconds without output before a run is stopped; 0: never; null: the server's default. */
  stall_timeout_seconds: number | null
  allowed_tools: string | null
  has_webhook_secret: boolean
  /** The backends and accounts a run tries, in order; empty: the trigger's own backend. */
  fallback_chain: FallbackEntry[]
  max_concurrent: number
  concurrency_policy: 'queue' | 'reject'
  github_repos: string[]
  github_events: string[]
  /** Labels the worker that runs it must have; empty: any worker. */
  required_labels: string[]
  /** What a firing runs: its CLI (`direct`), a team or a workflow. */
  execution_mode: ExecutionMode
  team_id: string | null
  workflow_id: string | null
  /** What a run a GitHub event fired posts back to its pull request or issue. */
  post_result: PostResult
  /** A shell script run in the run's working folder before its CLI. */
  setup_script: string | null
  /** Server variables the setup script gets, by name. */
  setup_secrets: string[]
  /** The managed tooling its runs' CLIs get. */
  tooling: ToolingAttachments
  created_at: string
  path_count: number
  paths?: TriggerPath[]
  execution_status: TriggerStatus
}

export type ExecutionMode = 'direct' | 'team' | 'workflow'

/** Attached tooling, ids per kind. */
export type ToolingAttachments = Tooling

/** What a run of a trigger would get for its tooling: never a secret's value. */
export interface ToolingPreview {
  backend: string
  given: GivenTool[]
  left_out: string[]
  args: string[]
  env: Record<string, string>
  secrets: string[]
  files: { path: string; content: string }[]
  error: string | null
}

/** One item a run was (or would be) given, by name and version. */
export interface GivenTool {
  kind: string
  id: string
  name: string
  version: string
}

export function toolingPreview(id: string, backend?: BackendType): Promise<ToolingPreview> {
  const query = backend ? `?backend=${encodeURIComponent(backend)}` : ''
  return request(`/admin/triggers/${encodeURIComponent(id)}/tooling-preview${query}`)
}

/** `none`, one `comment` edited in place, a `review`, or the `check` run's summary. */
export type PostResult = 'none' | 'comment' | 'review' | 'check'

/** What the form sends: text `""` clears an optional setting on update. */
export interface TriggerInput {
  name?: string
  prompt_template?: string
  backend_type?: BackendType
  backend_id?: string
  trigger_source?: TriggerSource
  enabled?: boolean
  model?: string
  skill_command?: string
  allowed_tools?: string
  timeout_seconds?: number
  sigterm_grace_seconds?: number
  stall_timeout_seconds?: number | null
  max_concurrent?: number
  concurrency_policy?: 'queue' | 'reject'
  match_field_path?: string
  match_field_value?: string
  text_field_path?: string
  detection_keyword?: string
  webhook_secret?: string
  github_repos?: string[]
  github_events?: string[]
  required_labels?: string[]
  execution_mode?: ExecutionMode
  post_result?: PostResult
  setup_script?: string
  setup_secrets?: string[]
  tooling?: Tooling
  team_id?: string | null
  workflow_id?: string | null
  schedule_type?: ScheduleType
  schedule_time?: string
  schedule_day?: number
  schedule_cron?: string
  schedule_timezone?: string
  catch_up?: boolean
  fallback_chain?: FallbackEntry[]
  paths?: { local_project_path?: string; github_repo_url?: string }[]
}

/** One step of a fallback chain; no account: the backend's default account. */
export interface FallbackEntry {
  backend_id: string
  account_id?: string
}

export interface RunStarted {
  message: string
  trigger_id: string
  status: string
  execution_id: string
  /** Set when the trigger runs a team or a workflow: the run to follow, and its workflow. */
  workflow_execution_id?: string
  workflow_id?: string
}

export interface PromptPreview {
  rendered_prompt: string
  trigger_id: string
  trigger_name: string
  unresolved_placeholders: string[]
}

const path = (id: string) => `/admin/triggers/${encodeURIComponent(id)}`

export async function listTriggers(signal?: AbortSignal): Promise<Trigger[]> {
  return (await request<{ triggers: Trigger[] }>('/admin/triggers', { signal })).triggers
}

export function getTrigger(id: string): Promise<Trigger> {
  return request<Trigger>(path(id))
}

export function createTrigger(input: TriggerInput): Promise<{ trigger_id: string; name: string }> {
  return request('/admin/triggers', { method: 'POST', body: input })
}

export function updateTrigger(id: string, input: TriggerInput): Promise<Trigger> {
  return request<Trigger>(path(id), { method: 'PUT', body: input })
}

export function deleteTrigger(id: string): Promise<void> {
  return request(path(id), { method: 'DELETE' })
}

export function runTrigger(id: string, message: string): Promise<RunStarted> {
  return request<RunStarted>(`${path(id)}/run`, { method: 'POST', body: message ? { message } : {} })
}

export function previewPrompt(id: string, message: string): Promise<PromptPreview> {
  return request<PromptPreview>(`${path(id)}/preview-prompt`, { method: 'POST', body: message ? { message } : {} })
}

export function addPath(id: string, input: { local_project_path?: string; github_repo_url?: string }): Promise<unknown> {
  return request(`${path(id)}/paths`, { method: 'POST', body: input })
}

export function removePath(id: string, input: { local_project_path?: string; github_repo_url?: string }): Promise<unknown> {
  return request(`${path(id)}/paths`, { method: 'DELETE', body: input })
}

/** A schedule's fields, as a trigger has them. */
export interface ScheduleFields {
  schedule_type: ScheduleType
  schedule_time?: string
  schedule_day?: number
  schedule_cron?: string
  schedule_timezone?: string
}

export interface SchedulePreview {
  timezone: string
  next_runs: string[]
}

/** The next slots of a schedule being edited (422 with per-field messages when invalid). */
export function previewSchedule(fields: ScheduleFields, signal?: AbortSignal): Promise<SchedulePreview> {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== '') query.set(key, String(value))
  }
  return request<SchedulePreview>(`/admin/schedules/preview?${query.toString()}`, { signal })
}
