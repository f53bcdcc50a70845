// Follows one execution's live stream: an EventSource opened with a short-lived
// stream token. When the connection drops, it asks for a fresh token and
// reconnects with `?last_event_id=` set to the last line it got, so no line is
// lost or shown twice. It stops for good once `complete` arrives.

import { streamToken, type LogLine } from '../api/executions'

export interface StatusEvent {
  status: string
  started_at: string | null
  execution_id: string
}

export interface CompleteEvent {
  status: string
  exit_code: number | null
  error_message: string | null
  duration_ms: number | null
  finished_at: string | null
  input_tokens: number | null
  output_tokens: number | null
  total_cost_usd: number | null
  cost_source: 'reported' | 'estimated' | null
  log_lines: number
}

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'closed'

export interface FollowHandlers {
  onStatus(event: StatusEvent): void
  /** New lines in order, delivered in batches. */
  onLines(lines: LogLine[]): void
  onComplete(event: CompleteEvent): void
  onConnection(state: Connection, detail?: string): void
}

/** The browser pieces a follower needs; tests pass fakes. */
export interface FollowDeps {
  openEventSource(url: string): EventSource
  token(id: string): Promise<{ stream_url: string }>
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const browserDeps: FollowDeps = {
  openEventSource: (url) => new EventSource(url),
  token: streamToken,
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
}

/** Lines are handed over at most this often, so a flood does not re-render per line. */
const FLUSH_MS = 60
const MAX_BACKOFF_MS = 10_000

export interface Follower {
  /** Stops following (the page was left). */
  close(): void
  /** The sequence number of the last line received. */
  readonly lastSeq: number
}

export function followExecution(id: string, handlers: FollowHandlers, deps: FollowDeps = browserDeps, startAfter = 0): Follower {
  let lastSeq = startAfter
  let source: EventSource | null = null
  let finished = false
  let failures = 0
  let pending: LogLine[] = []
  let flushTimer: unknown = null
  let retryTimer: unknown = null

  const flush = () => {
    flushTimer = null
    if (pending.length === 0) return
    const batch = pending
    pending = []
    handlers.onLines(batch)
  }

  const stop = () => {
    finished = true
    source?.close()
    source = null
    if (retryTimer !== null) deps.clearTimeout(retryTimer)
    if (flushTimer !== null) deps.clearTimeout(flushTimer)
    flush()
  }

  const retry = (detail: string) => {
    source?.close()
    source = null
    if (finished) return
    failures += 1
    const wait = Math.min(500 * 2 ** (failures - 1), MAX_BACKOFF_MS)
    handlers.onConnection('reconnecting', detail)
    retryTimer = deps.setTimeout(() => {
      retryTimer = null
      void connect()
    }, wait)
  }

  const parse = <T>(event: Event): T | null => {
    try {
      return JSON.parse((event as MessageEvent<string>).data) as T
    } catch {
      return null
    }
  }

  async function connect(): Promise<void> {
    if (finished) return
    handlers.onConnection(failures === 0 ? 'connecting' : 'reconnecting')
    let url: string
    try {
      url = (await deps.token(id)).stream_url
    } catch (e) {
      retry(e instanceof Error ? e.message : 'could not get a stream token')
      return
    }
    if (finished) return
    const es = deps.openEventSource(`${url}&last_event_id=${lastSeq}`)
    source = es
    es.onopen = () => {
      failures = 0
      handlers.onConnection('live')
    }
    // The browser would reconnect by itself with the old, soon expired token: take over instead.
    es.onerror = () => {
      if (source === es) retry('connection lost')
    }
    es.addEventListener('status', (event) => {
      const body = parse<StatusEvent>(event)
      if (body) handlers.onStatus(body)
    })
    es.addEventListener('log', (event) => {
      const line = parse<LogLine>(event)
      if (!line || line.seq <= lastSeq) return
      lastSeq = line.seq
      pending.push(line)
      if (flushTimer === null) flushTimer = deps.setTimeout(flush, FLUSH_MS)
    })
    es.addEventListener('complete', (event) => {
      const body = parse<CompleteEvent>(event)
      stop()
      if (body) handlers.onComplete(body)
      handlers.onConnection('closed')
    })
  }

  void connect()
  return {
    close: stop,
    get lastSeq() {
      return lastSeq
    },
  }
}
