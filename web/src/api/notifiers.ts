import { request } from './client'

export type NotifierKind = 'webhook' | 'slack'

/** Where notices go; its credentials (a Slack URL's path, a signing secret) are masked. */
export interface Notifier {
  id: string
  name: string
  kind: NotifierKind
  url: string
  secret_hint: string | null
  trigger_id: string | null
  events: string[]
  enabled: boolean
  created_at: string
  updated_at: string
}

/** A notifier as created or given a new secret: the one time its secret is shown. */
export interface NotifierWithSecret extends Notifier {
  secret: string | null
}

export interface NotifierInput {
  name?: string
  kind?: NotifierKind
  url?: string
  trigger_id?: string | null
  events?: string[]
  enabled?: boolean
}

/** One delivery of a notifier's log. */
export interface NotifierDelivery {
  id: number
  event: string
  key: string
  message_id: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  response_status: number | null
  error: string | null
  body: string
  created_at: string
  updated_at: string
}

const path = (id: string) => `/admin/notifiers/${encodeURIComponent(id)}`

export function listNotifiers(): Promise<{ notifiers: Notifier[]; events: string[] }> {
  return request('/admin/notifiers')
}

export function createNotifier(input: NotifierInput): Promise<NotifierWithSecret> {
  return request('/admin/notifiers', { method: 'POST', body: input })
}

export function updateNotifier(id: string, input: NotifierInput): Promise<Notifier> {
  return request(path(id), { method: 'PUT', body: input })
}

export function deleteNotifier(id: string): Promise<void> {
  return request(path(id), { method: 'DELETE' })
}

export function rotateSecret(id: string): Promise<NotifierWithSecret> {
  return request(`${path(id)}/secret`, { method: 'POST' })
}

export function testNotifier(id: string): Promise<NotifierDelivery> {
  return request(`${path(id)}/test`, { method: 'POST' })
}

export function notifierDeliveries(id: string, limit = 50): Promise<{ deliveries: NotifierDelivery[]; total: number }> {
  return request(`${path(id)}/deliveries?limit=${limit}`)
}

export function redeliver(id: string, delivery: number): Promise<NotifierDelivery> {
  return request(`${path(id)}/deliveries/${delivery}/redeliver`, { method: 'POST' })
}
