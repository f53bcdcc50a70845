// Follows one terminal session: an EventSource opened with a short-lived stream
// token. Output arrives as `{seq, data}`; after a dropped connection it asks for
// a fresh token and resumes after the last chunk it got, so the terminal never
// draws a chunk twice or misses one. It stops once `complete` arrives.

import { sessionStreamToken, type TerminalSession } from '../api/sessions'

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'closed'

export interface SessionHandlers {
  onStatus(session: TerminalSession): void
  onOutput(data: string): void
  onComplete(session: TerminalSession): void
  onConnection(state: Connection): void
}

/** The browser pieces a follower needs; tests pass fakes. */
export interface SessionFollowDeps {
  openEventSource(url: string): EventSource
  token(id: string): Promise<{ stream_url: string }>
  setTimeout(fn: () => void, ms: number): unknown
}

const browserDeps: SessionFollowDeps = {
  openEventSource: (url) => new EventSource(url),
  token: sessionStreamToken,
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
}

const MAX_BACKOFF_MS = 10_000

export function followSession(id: string, handlers: SessionHandlers, deps: SessionFollowDeps = browserDeps): { close(): void } {
  let lastSeq = 0
  let source: EventSource | null = null
  let finished = false
  let failures = 0

  const parse = <T>(event: Event): T | null => {
    try {
      return JSON.parse((event as MessageEvent<string>).data) as T
    } catch {
      return null
    }
  }

  const retry = () => {
    source?.close()
    source = null
    if (finished) return
    failures += 1
    handlers.onConnection('reconnecting')
    deps.setTimeout(() => void connect(), Math.min(500 * 2 ** (failures - 1), MAX_BACKOFF_MS))
  }

  async function connect(): Promise<void> {
    if (finished) return
    let url: string
    try {
      url = (await deps.token(id)).stream_url
    } catch {
      retry()
      return
    }
    if (finished) return
    const es = deps.openEventSource(`${url}&after=${lastSeq}`)
    source = es
    es.onopen = () => {
      failures = 0
      handlers.onConnection('live')
    }
    // The browser would reconnect by itself with the old, soon expired token: take over instead.
    es.onerror = () => {
      if (source === es) retry()
    }
    es.addEventListener('status', (event) => {
      const session = parse<TerminalSession>(event)
      if (session) handlers.onStatus(session)
    })
    es.addEventListener('output', (event) => {
      const chunk = parse<{ seq: number; data: string }>(event)
      if (!chunk || chunk.seq <= lastSeq) return
      lastSeq = chunk.seq
      handlers.onOutput(chunk.data)
    })
    es.addEventListener('complete', (event) => {
      const session = parse<TerminalSession>(event)
      finished = true
      es.close()
      if (session) handlers.onComplete(session)
      handlers.onConnection('closed')
    })
  }

  handlers.onConnection('connecting')
  void connect()
  return {
    close() {
      finished = true
      source?.close()
      source = null
    },
  }
}

/** Keys typed while a request is on its way, sent in order as one request each time. */
export class InputQueue {
  private pending = ''
  private sending = false

  constructor(
    private readonly send: (text: string) => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  push(text: string): void {
    this.pending += text
    void this.drain()
  }

  private async drain(): Promise<void> {
    if (this.sending) return
    this.sending = true
    try {
      while (this.pending) {
        const text = this.pending
        this.pending = ''
        try {
          await this.send(text)
        } catch (e) {
          this.onError(e)
        }
      }
    } finally {
      this.sending = false
    }
  }
}
