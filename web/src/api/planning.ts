import { request } from './client'
import type { RoadmapView } from './projects'

export type Backend = 'claude' | 'codex' | 'gemini' | 'opencode'
export const BACKENDS: Backend[] = ['claude', 'codex', 'gemini', 'opencode']

export type Stage = 'asking' | 'answering' | 'proposing' | 'proposed' | 'accepted' | 'discarded'

export interface Question {
  id: string
  text: string
  why: string | null
  options: string[]
}

export interface ProposedPhase {
  number: string
  name: string
  goal: string
  type: string | null
  depends_on: string[]
  requirements: string[]
  success_criteria: string[]
  verification_level: string | null
}

export interface ProposedMilestone {
  version: string
  name: string
  goal: string
  phases: ProposedPhase[]
}

export interface ProposedRequirement {
  id: string
  category: string
  text: string
  tier: string | null
  priority: string | null
}

/** The plan a bot proposes (docs/planning.md, "Proposal"). */
export interface Proposal {
  summary: string
  milestones: ProposedMilestone[]
  requirements: ProposedRequirement[]
}

export interface Change {
  key: string
  kind: 'added' | 'changed' | 'unchanged'
  fields: { field: string; before: string; after: string }[]
}

export interface Diff {
  milestones: Change[]
  phases: Change[]
  requirements: Change[]
}

export interface PlanningSession {
  id: string
  project_id: string
  goal: string
  backend: Backend
  stage: Stage
  questions: Question[]
  answers: { question_id: string; answer: string }[]
  proposal: Proposal | null
  diff: Diff | null
  error: string | null
  can_retry: boolean
  current_execution_id: string | null
  runs: { execution_id: string; purpose: 'questions' | 'proposal'; outcome: string | null }[]
  created_at: string
  updated_at: string
}

export type ResearchKind = 'stack' | 'features' | 'architecture' | 'pitfalls' | 'summary'
export const RESEARCH_KINDS: ResearchKind[] = ['stack', 'features', 'architecture', 'pitfalls', 'summary']

export interface ResearchRun {
  id: string
  project_id: string
  milestone: string
  backend: Backend
  stage: 'researching' | 'synthesising' | 'done' | 'failed'
  parts: { kind: ResearchKind; status: 'waiting' | 'starting' | 'running' | 'done' | 'failed'; execution_id: string | null; error: string | null }[]
  templates: Record<ResearchKind, string>
  created_at: string
  updated_at: string
}

const sessions = (project: string) => `/api/projects/${encodeURIComponent(project)}/planning-sessions`
const research = (project: string) => `/api/projects/${encodeURIComponent(project)}/research-runs`

/** Whether the session waits for a run (poll it until this is false). */
export function waiting(s: PlanningSession): boolean {
  return (s.stage === 'asking' || s.stage === 'proposing') && s.current_execution_id !== null
}

export async function listSessions(project: string): Promise<PlanningSession[]> {
  return (await request<{ sessions: PlanningSession[] }>(sessions(project))).sessions
}

export function startSession(project: string, goal: string, backend: Backend): Promise<PlanningSession> {
  return request<PlanningSession>(sessions(project), { method: 'POST', body: { goal, backend } })
}

export function getSession(project: string, id: string): Promise<PlanningSession> {
  return request<PlanningSession>(`${sessions(project)}/${encodeURIComponent(id)}`)
}

export function answerSession(project: string, id: string, answers: { question_id: string; answer: string }[]): Promise<PlanningSession> {
  return request<PlanningSession>(`${sessions(project)}/${encodeURIComponent(id)}/answers`, { method: 'POST', body: { answers } })
}

export function retrySession(project: string, id: string): Promise<PlanningSession> {
  return request<PlanningSession>(`${sessions(project)}/${encodeURIComponent(id)}/retry`, { method: 'POST', body: {} })
}

/**
 * Accepts the (edited) proposal. Its phases whose numbers are taken are added after the
 * existing ones, except those in `replace`; replacing completed work needs `confirm`.
 */
export function acceptSession(
  project: string,
  id: string,
  proposal: Proposal,
  replace: string[] = [],
  confirm = false,
): Promise<{ session: PlanningSession; roadmap: RoadmapView }> {
  return request(`${sessions(project)}/${encodeURIComponent(id)}/accept`, { method: 'POST', body: { proposal, replace, confirm } })
}

export function discardSession(project: string, id: string): Promise<PlanningSession> {
  return request<PlanningSession>(`${sessions(project)}/${encodeURIComponent(id)}/discard`, { method: 'POST', body: {} })
}

export async function researchTemplates(): Promise<Record<ResearchKind, string>> {
  return (await request<{ templates: Record<ResearchKind, string> }>('/api/planning/research-templates')).templates
}

export function startResearch(project: string, milestone: string, backend: Backend, templates: Partial<Record<ResearchKind, string>>): Promise<ResearchRun> {
  return request<ResearchRun>(`/api/projects/${encodeURIComponent(project)}/milestones/${encodeURIComponent(milestone)}/research`, {
    method: 'POST',
    body: { backend, templates },
  })
}

export async function listResearch(project: string): Promise<ResearchRun[]> {
  return (await request<{ research_runs: ResearchRun[] }>(research(project))).research_runs
}

export function getResearch(project: string, id: string): Promise<ResearchRun> {
  return request<ResearchRun>(`${research(project)}/${encodeURIComponent(id)}`)
}

export function retryResearch(project: string, id: string): Promise<ResearchRun> {
  return request<ResearchRun>(`${research(project)}/${encodeURIComponent(id)}/retry`, { method: 'POST', body: {} })
}

/** Changes of `diff` by key, to badge each proposed item. */
export function changesByKey(changes: Change[] | undefined): Record<string, Change> {
  return Object.fromEntries((changes ?? []).map((c) => [c.key, c]))
}
