// Workflows, their versions and runs, agents and teams (`/admin/workflows`,
// `/admin/agents`, `/admin/teams`).
import { apiKey, ApiError, request } from './client'
import type { Tooling } from './tooling'

export interface GraphNode {
  id: string
  type: string
  label?: string
  position?: { x: number; y: number }
  config?: Record<string, unknown>
  [key: string]: unknown
}

export interface GraphEdge {
  source: string
  target: string
  branch?: string
  [key: string]: unknown
}

export interface Graph {
  nodes: GraphNode[]
  edges: GraphEdge[]
  settings?: Record<string, unknown>
}

export interface Workflow {
  id: string
  name: string
  description: string
  enabled: boolean
  latest_version: number | null
  published_version: number | null
  created_at: string
  updated_at: string
}

export interface WorkflowVersion {
  workflow_id: string
  version: number
  graph_json: Graph
  is_draft: boolean
  created_at: string
}

export interface NodeOutput {
  content_type: string
  text: string | null
  data: unknown
  [key: string]: unknown
}

export interface NodeRun {
  node_id: string
  node_type: string
  status: 'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'skipped'
  attempt: number
  output_json: NodeOutput | null
  error: string | null
  duration_ms: number | null
  execution_ids: string[]
  cost_usd: number | null
  decision: { approved: boolean; decided_by: string; comment: string | null } | null
  slowest: boolean
  costliest: boolean
}

export interface WorkflowRun {
  id: string
  workflow_id: string
  version: number
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled'
  output_json: NodeOutput | null
  error: string | null
  origin: string
  origin_id: string | null
  started_at: string
  ended_at: string | null
  total_cost_usd: number | null
  nodes: NodeRun[]
}

const wf = (id: string) => `/admin/workflows/${encodeURIComponent(id)}`

export async function listWorkflows(): Promise<Workflow[]> {
  return (await request<{ workflows: Workflow[] }>('/admin/workflows')).workflows
}

export function createWorkflow(name: string): Promise<Workflow> {
  return request('/admin/workflows', { method: 'POST', body: { name } })
}

export function getWorkflow(id: string): Promise<Workflow> {
  return request(wf(id))
}

export function getVersion(id: string, version: number): Promise<WorkflowVersion> {
  return request(`${wf(id)}/versions/${version}`)
}

/** Stores `graph` as the next version: a draft, or published at once. */
export function saveVersion(id: string, graph: Graph, publish: boolean): Promise<WorkflowVersion> {
  return request(`${wf(id)}/versions`, { method: 'POST', body: { graph_json: graph, is_draft: !publish } })
}

export function runWorkflow(id: string, input: string, version?: number): Promise<{ workflow_execution_id: string }> {
  return request(`${wf(id)}/run`, { method: 'POST', body: { input_json: input, ...(version ? { version } : {}) } })
}

export function getRun(run: string): Promise<WorkflowRun> {
  return request(`/admin/workflows/executions/${encodeURIComponent(run)}`)
}

export async function listRuns(id: string): Promise<WorkflowRun[]> {
  return (await request<{ executions: WorkflowRun[] }>(`${wf(id)}/executions`)).executions
}

export function decide(id: string, run: string, node: string, approve: boolean): Promise<WorkflowRun> {
  const verb = approve ? 'approve' : 'reject'
  return request(`${wf(id)}/executions/${encodeURIComponent(run)}/nodes/${encodeURIComponent(node)}/${verb}`, { method: 'POST' })
}

export function cancelRun(id: string, run: string): Promise<WorkflowRun> {
  return request(`${wf(id)}/executions/${encodeURIComponent(run)}/cancel`, { method: 'POST' })
}

export function runStreamToken(id: string, run: string): Promise<{ token: string; stream_url: string }> {
  return request(`${wf(id)}/executions/${encodeURIComponent(run)}/stream-token`, { method: 'POST' })
}

/** The workflow (a version, or its newest) as YAML. */
export async function exportYaml(id: string, version?: number): Promise<string> {
  const res = await fetch(`${wf(id)}/export${version ? `?version=${version}` : ''}`, {
    headers: { 'X-API-Key': apiKey() ?? '' },
  })
  if (!res.ok) throw new ApiError(res.status, 'error', `The YAML could not be read (HTTP ${res.status}).`)
  return res.text()
}

export interface Agent {
  id: string
  name: string
  role: string
  backend_type: string
  system_prompt: string
  model: string | null
  enabled: boolean
  /** The managed tooling its runs get, with the `bot-agents` trigger's. */
  tooling: Partial<Tooling>
}

export async function listAgents(): Promise<Agent[]> {
  return (await request<{ agents: Agent[] }>('/admin/agents')).agents
}

export function createAgent(fields: Partial<Agent>): Promise<Agent> {
  return request('/admin/agents', { method: 'POST', body: fields })
}

export function updateAgent(id: string, fields: Partial<Agent>): Promise<Agent> {
  return request(`/admin/agents/${encodeURIComponent(id)}`, { method: 'PUT', body: fields })
}

export function deleteAgent(id: string): Promise<void> {
  return request(`/admin/agents/${encodeURIComponent(id)}`, { method: 'DELETE' })
}

export interface Team {
  id: string
  name: string
  description: string
  topology: string
  topology_config: Record<string, unknown>
  enabled: boolean
  members: { agent_id: string; name: string; role: string }[]
  workflow_id: string | null
  /** The managed tooling every member's run gets, after the member's own. */
  tooling: Partial<Tooling>
}

export const TOPOLOGIES = [
  'sequential',
  'parallel',
  'coordinator',
  'generator_critic',
  'hierarchical',
  'human_in_loop',
  'composite',
] as const

const team = (id: string) => `/admin/teams/${encodeURIComponent(id)}`

export async function listTeams(): Promise<Team[]> {
  return (await request<{ teams: Team[] }>('/admin/teams')).teams
}

export function createTeam(name: string, topology: string): Promise<Team> {
  return request('/admin/teams', { method: 'POST', body: { name, topology } })
}

export function getTeam(id: string): Promise<Team> {
  return request(team(id))
}

export function addMember(id: string, agentId: string): Promise<Team> {
  return request(`${team(id)}/members`, { method: 'POST', body: { agent_id: agentId } })
}

export function removeMember(id: string, agentId: string): Promise<Team> {
  return request(`${team(id)}/members/${encodeURIComponent(agentId)}`, { method: 'DELETE' })
}

export function setTopology(id: string, topology: string, config: Record<string, unknown>): Promise<Team> {
  return request(`${team(id)}/topology`, { method: 'PUT', body: { topology, topology_config: config } })
}

export function setTeamTooling(id: string, tooling: Tooling): Promise<Team> {
  return request(team(id), { method: 'PUT', body: { tooling } })
}

export function teamGraph(id: string): Promise<{ workflow_id: string | null; graph_json: Graph }> {
  return request(`${team(id)}/graph`)
}

export function runTeam(id: string, message: string): Promise<{ workflow_execution_id: string; workflow_id: string }> {
  return request(`${team(id)}/run`, { method: 'POST', body: { message } })
}
