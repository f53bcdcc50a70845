import { apiKey, request } from './client'
import type { Tooling } from './tooling'

export type PhaseStatus = 'pending' | 'in_progress' | 'complete' | 'deferred'
export const PHASE_STATUSES: PhaseStatus[] = ['pending', 'in_progress', 'complete', 'deferred']

export interface ProjectSummary {
  id: string
  name: string
  milestones: number
  phases: number
  coverage_mapped: number
  coverage_total: number
  version: number
  /** What its planning and research runs get. */
  tooling: Tooling
  created_at: string
  updated_at: string
}

export interface PhaseView {
  id: string
  number: string
  name: string
  goal: string
  phase_type: string | null
  depends_on: string[]
  requirements: string[]
  success_criteria: string[]
  verification_level: string
  status: PhaseStatus
  plans: { id: string; title: string; done: boolean }[]
}

export interface MilestoneView {
  id: string
  version: string
  name: string
  goal: string
  status: 'planned' | 'active' | 'complete'
  phases: PhaseView[]
}

export interface RequirementView {
  id: string
  category: string
  text: string
  tier: 'v1' | 'v2' | 'out_of_scope'
  priority: string | null
  status: string
  phase: string | null
}

export interface RoadmapView {
  project: { id: string; name: string; version: number; active_phase: string | null; updated_at: string }
  milestones: MilestoneView[]
  requirements: RequirementView[]
  coverage: { mapped: number; total: number; unmapped: string[]; multiply_mapped: string[] }
  progress: {
    phases: { number: string; plans_done: number; plans_total: number; percent: number }[]
    milestones: { version: string; phases_complete: number; phases_total: number; percent: number }[]
  }
  layers: string[][]
  ready: string[]
  decisions: { text: string; rationale: string; phase: string | null }[]
  todos: { text: string; done: boolean }[]
  open_questions: string[]
  research: { milestone: string; kind: string; markdown: string }[]
  notes: number
}

export interface Imported {
  project_id: string
  name: string
  warnings: string[]
}

const base = (id: string) => `/api/projects/${encodeURIComponent(id)}`

export async function listProjects(): Promise<ProjectSummary[]> {
  return (await request<{ projects: ProjectSummary[] }>('/api/projects')).projects
}

export function createProject(name: string): Promise<Imported> {
  return request<Imported>('/api/projects', { method: 'POST', body: { name } })
}

/** Imports `.planning/` files (path relative to the folder → text), or a local repository's folder. */
export function importProject(name: string, source: { files: Record<string, string> } | { path: string }): Promise<Imported> {
  return request<Imported>('/api/projects/import', { method: 'POST', body: { name, ...source } })
}

export function deleteProject(id: string): Promise<unknown> {
  return request(base(id), { method: 'DELETE' })
}

export function getRoadmap(id: string): Promise<RoadmapView> {
  return request<RoadmapView>(`${base(id)}/roadmap`)
}

export function updatePhase(id: string, phase: string, change: Partial<Pick<PhaseView, 'status' | 'depends_on' | 'name' | 'goal'>>): Promise<RoadmapView> {
  return request<RoadmapView>(`${base(id)}/phases/${encodeURIComponent(phase)}`, { method: 'PATCH', body: change })
}

export async function exportFiles(id: string): Promise<Record<string, string>> {
  return (await request<{ files: Record<string, string> }>(`${base(id)}/export`)).files
}

/** The zip export as a blob (the key goes in a header, so a plain link cannot fetch it). */
export async function exportZip(id: string): Promise<Blob> {
  const key = apiKey()
  const res = await fetch(`${base(id)}/export?format=zip`, { headers: key ? { 'X-API-Key': key } : {} })
  if (!res.ok) throw new Error(`export failed: HTTP ${res.status}`)
  return res.blob()
}

/**
 * The relative path of an uploaded file inside `.planning/`: from a picked folder
 * (`repo/.planning/milestones/v1/ROADMAP.md` → `milestones/v1/ROADMAP.md`) or its bare name.
 */
export function planningPath(relative: string, name: string): string {
  const parts = (relative || name).split('/')
  const at = parts.indexOf('.planning')
  if (at >= 0) return parts.slice(at + 1).join('/')
  return parts.length > 1 ? parts.slice(1).join('/') : parts[0] ?? name
}

/** A roadmap kept before an accepted plan or a restore. */
export interface RoadmapVersion {
  id: number
  label: string
  created_at: string
  phases: number
  requirements: number
}

export async function roadmapHistory(id: string): Promise<RoadmapVersion[]> {
  return (await request<{ versions: RoadmapVersion[] }>(`${base(id)}/history`)).versions
}

/** Puts a kept roadmap back; the current one is kept in turn. */
export function restoreRoadmap(id: string, version: number): Promise<RoadmapView> {
  return request<RoadmapView>(`${base(id)}/history/${version}/restore`, { method: 'POST', body: {} })
}

/** What a project's planning and research runs get. */
export function projectTooling(id: string): Promise<Tooling> {
  return request(`/admin/projects/${encodeURIComponent(id)}/tooling`)
}

export function setProjectTooling(id: string, tooling: Tooling): Promise<ProjectSummary> {
  return request(`/admin/projects/${encodeURIComponent(id)}/tooling`, { method: 'PUT', body: tooling })
}
