import { request } from './client'

export interface Delivery {
  id: number
  received_at: string
  source: 'webhook' | 'github'
  event: string | null
  trigger_id: string | null
  decision: string
  reason: string | null
  execution_id: string | null
  headers: Record<string, string>
  body: string
  body_bytes: number
}

export interface TestMatch {
  matches: boolean
  reason: string | null
  message: string | null
  requires_signature: boolean
}

export async function triggerDeliveries(triggerId: string): Promise<Delivery[]> {
  return (await request<{ deliveries: Delivery[] }>(`/admin/triggers/${encodeURIComponent(triggerId)}/deliveries`)).deliveries
}

/** Every trigger's recent deliveries, newest first; `unmatched`: only those no trigger matched. */
export async function allDeliveries(unmatched: boolean, limit = 100): Promise<Delivery[]> {
  const query = new URLSearchParams({ unmatched: String(unmatched), limit: String(limit) })
  return (await request<{ deliveries: Delivery[] }>(`/admin/webhooks/deliveries?${query.toString()}`)).deliveries
}

export function testMatch(triggerId: string, payload: unknown, event?: string): Promise<TestMatch> {
  return request<TestMatch>(`/admin/triggers/${encodeURIComponent(triggerId)}/test-match`, {
    method: 'POST',
    body: event ? { payload, event } : { payload },
  })
}
