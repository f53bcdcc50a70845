import { request } from './client'

/** A run workspace (git worktrees) kept on the server's disk. */
export interface KeptWorkspace {
  key: string
  execution_id: string | null
  status: string | null
  ended_at: string | null
  bytes: number
}

export interface WorkspaceReport {
  workspaces: KeptWorkspace[]
  mirrors: { name: string; bytes: number }[]
  total_bytes: number
  max_bytes: number
  keep_succeeded: number
  keep_failed: number
}

export function getWorkspaces(): Promise<WorkspaceReport> {
  return request<WorkspaceReport>('/admin/workspaces')
}
