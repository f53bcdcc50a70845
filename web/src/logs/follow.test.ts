import { describe, expect, it } from 'vitest'
import type { LogLine } from '../api/executions'
import { followExecution, type CompleteEvent, type Connection, type FollowDeps } from './follow'

/** A stand-in EventSource the test drives by hand. */
class FakeSource {
  onopen: (() => void) | null = null
  onerror: (() => void) | null = null
  closed = false
  private listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>()
  constructor(readonly url: string) {}
  addEventListener(name: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn])
  }
  close() {
    this.closed = true
  }
  emit(name: string, body: unknown) {
    for (const fn of this.listeners.get(name) ?? []) fn({ data: JSON.stringify(body) } as MessageEvent<string>)
  }
}

function harness() {
  const sources: FakeSource[] = []
  const timers: { fn: () => void; ms: number; id: number }[] = []
  let nextId = 0
  let tokens = 0
  const deps: FollowDeps = {
    openEventSource: (url) => {
      const s = new FakeSource(url)
      sources.push(s)
      return s as unknown as EventSource
    },
    token: async () => {
      tokens += 1
      return { stream_url: `/admin/executions/exec-1/stream?token=t${tokens}` }
    },
    setTimeout: (fn, ms) => {
      nextId += 1
      timers.push({ fn, ms, id: nextId })
      return nextId
    },
    clearTimeout: (id) => {
      const at = timers.findIndex((t) => t.id === id)
      if (at >= 0) timers.splice(at, 1)
    },
  }
  const runTimers = () => {
    while (timers.length) timers.shift()?.fn()
  }
  return { sources, timers, deps, runTimers }
}

const line = (seq: number): LogLine => ({ seq, timestamp: '2026-11-22T00:00:00Z', stream: 'stdout', content: `line ${seq}` })
const settle = () => new Promise((r) => setTimeout(r, 0))

describe('followExecution', () => {
  it('resumes after a dropped connection with a fresh token and the last line seen, without duplicates', async () => {
    const h = harness()
    const got: number[] = []
    const states: Connection[] = []
    let complete: CompleteEvent | null = null
    const follower = followExecution(
      'exec-1',
      {
        onStatus: () => {},
        onLines: (lines) => got.push(...lines.map((l) => l.seq)),
        onComplete: (c) => (complete = c),
        onConnection: (s) => states.push(s),
      },
      h.deps,
    )
    await settle()
    const first = h.sources[0]!
    expect(first.url).toBe('/admin/executions/exec-1/stream?token=t1&last_event_id=0')
    first.onopen?.()
    first.emit('log', line(1))
    first.emit('log', line(2))
    first.onerror?.()
    expect(first.closed).toBe(true)
    h.runTimers()
    await settle()
    const second = h.sources[1]!
    expect(second.url).toBe('/admin/executions/exec-1/stream?token=t2&last_event_id=2')
    second.emit('log', line(2))
    second.emit('log', line(3))
    second.emit('complete', { status: 'success', total_cost_usd: 0.01 })
    expect(second.closed).toBe(true)
    expect(got).toEqual([1, 2, 3])
    expect(complete).toMatchObject({ status: 'success' })
    expect(states).toEqual(['connecting', 'live', 'reconnecting', 'reconnecting', 'closed'])
    expect(follower.lastSeq).toBe(3)
    second.onerror?.()
    expect(h.timers).toEqual([])
  })

  it('backs off while the server cannot be reached, and stops when closed', async () => {
    const h = harness()
    h.deps.token = async () => {
      throw new Error('unreachable')
    }
    const follower = followExecution('exec-1', { onStatus: () => {}, onLines: () => {}, onComplete: () => {}, onConnection: () => {} }, h.deps)
    await settle()
    expect(h.timers.map((t) => t.ms)).toEqual([500])
    h.timers.shift()?.fn()
    await settle()
    expect(h.timers.map((t) => t.ms)).toEqual([1000])
    follower.close()
    h.timers.shift()?.fn()
    await settle()
    expect(h.timers).toEqual([])
    expect(h.sources).toEqual([])
  })
})
