import { request } from './client'

export interface AuditEntry {
  id: number
  at: string
  actor: string
  action: string
  entity_type: string
  entity_id: string | null
  outcome: 'success' | 'failure'
  status: number
  changes: unknown
  request_id: string | null
}

export interface AuditPage {
  entries: AuditEntry[]
  total: number
  limit: number
  offset: number
}

export interface AuditFilters {
  actor?: string
  action?: string
  outcome?: '' | 'success' | 'failure'
}

export function listAudit(filters: AuditFilters, limit: number, offset: number): Promise<AuditPage> {
  const params = new URLSearchParams({ limit: String(limit), offset: String(offset) })
  for (const [name, value] of Object.entries(filters)) {
    if (value) params.set(name, value)
  }
  return request<AuditPage>(`/admin/audit?${params}`)
}
