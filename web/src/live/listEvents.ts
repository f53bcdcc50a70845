// One server-sent stream of list events for the whole dashboard: lists that
// show executions or triggers re-read themselves when a run is queued, starts
// or ends. The stream opens while some list listens and closes when none does.
import { request } from '../api/client'

/** What a list hears: a run changed, or changes were missed (`resync`): read again either way. */
export type ListEvent = { kind: 'execution'; execution_id: string; status: string } | { kind: 'resync' }
type Listener = (event: ListEvent) => void

/** The browser pieces the stream needs; tests pass fakes. */
export interface EventDeps {
  openEventSource(url: string): EventSource
  token(): Promise<{ stream_url: string }>
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const browserDeps: EventDeps = {
  openEventSource: (url) => new EventSource(url),
  token: () => request('/admin/events/stream-token', { method: 'POST' }),
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
}

const MAX_BACKOFF_MS = 10_000

/** The shared stream: `listen` opens it with the first listener and closes it with the last. */
export function listEventHub(deps: EventDeps = browserDeps) {
  const listeners = new Set<Listener>()
  let source: EventSource | null = null
  let retryTimer: unknown = null
  let failures = 0
  let generation = 0

  const emit = (event: ListEvent) => listeners.forEach((l) => l(event))

  const close = () => {
    generation += 1
    source?.close()
    source = null
    if (retryTimer !== null) deps.clearTimeout(retryTimer)
    retryTimer = null
  }

  const retry = (gen: number) => {
    source?.close()
    source = null
    if (gen !== generation || listeners.size === 0) return
    failures += 1
    retryTimer = deps.setTimeout(() => {
      retryTimer = null
      void connect(gen)
    }, Math.min(500 * 2 ** (failures - 1), MAX_BACKOFF_MS))
  }

  async function connect(gen: number): Promise<void> {
    let url: string
    try {
      url = (await deps.token()).stream_url
    } catch {
      retry(gen)
      return
    }
    if (gen !== generation) return
    const es = deps.openEventSource(url)
    source = es
    // A (re)connection may have missed changes: the lists read again once it is open.
    es.addEventListener('ready', () => {
      failures = 0
      emit({ kind: 'resync' })
    })
    // The browser would retry with the expired token: take over with a fresh one.
    es.onerror = () => {
      if (source === es) retry(gen)
    }
    es.addEventListener('execution', (event) => {
      try {
        const body = JSON.parse((event as MessageEvent<string>).data) as { execution_id: string; status: string }
        emit({ kind: 'execution', execution_id: body.execution_id, status: body.status })
      } catch {
        emit({ kind: 'resync' })
      }
    })
    es.addEventListener('resync', () => emit({ kind: 'resync' }))
  }

  return {
    /** Listens until the returned function is called. */
    listen(listener: Listener): () => void {
      listeners.add(listener)
      if (listeners.size === 1) void connect(generation)
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) close()
      }
    },
  }
}

export const listEvents = listEventHub()
