import { request } from './client'

export interface ApiKey {
  id: string
  name: string
  scope: 'admin' | 'read'
  prefix: string
  status: 'active' | 'revoked'
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface CreatedApiKey extends ApiKey {
  key: string
  warning: string
}

export async function listKeys(): Promise<ApiKey[]> {
  return (await request<{ api_keys: ApiKey[] }>('/admin/api-keys')).api_keys
}

export function createKey(name: string, scope: 'admin' | 'read'): Promise<CreatedApiKey> {
  return request<CreatedApiKey>('/admin/api-keys', { method: 'POST', body: { name, scope } })
}

export function revokeKey(id: string): Promise<ApiKey> {
  return request<ApiKey>(`/admin/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' })
}
