import { ApiError, getReadiness, UNREACHABLE } from './client'

/** What the health indicator shows. */
export type HealthState = 'checking' | 'ok' | 'degraded' | 'unreachable'

export interface Health {
  state: HealthState
  label: string
  checkedAt: Date | null
}

export const LABELS: Record<HealthState, string> = {
  checking: 'Checking…',
  ok: 'Server ready',
  degraded: 'Database unavailable',
  unreachable: 'Server unreachable',
}

/** Asks the server once and maps the answer to an indicator state. */
export async function checkHealth(signal?: AbortSignal): Promise<Health> {
  try {
    const readiness = await getReadiness(signal)
    const state: HealthState = readiness.status === 'ok' ? 'ok' : 'degraded'
    return { state, label: LABELS[state], checkedAt: new Date() }
  } catch (e) {
    const state: HealthState = e instanceof ApiError && e.status !== UNREACHABLE ? 'degraded' : 'unreachable'
    return { state, label: LABELS[state], checkedAt: new Date() }
  }
}
