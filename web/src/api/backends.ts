import { request } from './client'

export interface Backend {
  id: string
  name: string
  backend_type: string
  command: string
  description: string
  is_builtin: boolean
  is_installed: boolean
  path: string | null
  version: string | null
  models: string[]
  args: string[] | null
  env_names: string[] | null
  working_dir: string | null
  checked_at: string
  created_at: string
}

export async function listBackends(): Promise<Backend[]> {
  return (await request<{ backends: Backend[] }>('/admin/backends')).backends
}

export function checkBackend(id: string): Promise<Backend> {
  return request<Backend>(`/admin/backends/${encodeURIComponent(id)}/check`, { method: 'POST' })
}
