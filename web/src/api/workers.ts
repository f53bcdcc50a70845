import { request } from './client'

export type WorkerStatus = 'active' | 'lost' | 'stopped'

export interface Worker {
  id: string
  status: WorkerStatus
  host: string
  pid: number
  labels: string[]
  capacity: number
  running: number
  last_heartbeat_at: string
  started_at: string
  ended_at: string | null
  version: string
}

export interface WorkerList {
  workers: Worker[]
  lost_after_seconds: number
}

export function listWorkers(): Promise<WorkerList> {
  return request<WorkerList>('/admin/workers')
}
