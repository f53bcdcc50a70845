import { describe, expect, it } from 'vitest'
import { listEventHub, type EventDeps, type ListEvent } from './listEvents'

/** A stand-in EventSource the test drives by hand. */
class FakeSource {
  closed = false
  onerror: (() => void) | null = null
  private handlers = new Map<string, ((e: { data: string }) => void)[]>()
  constructor(readonly url: string) {}
  addEventListener(name: string, fn: (e: { data: string }) => void): void {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), fn])
  }
  emit(name: string, data = '{}'): void {
    this.handlers.get(name)?.forEach((fn) => fn({ data }))
  }
  close(): void {
    this.closed = true
  }
}

function harness() {
  const sources: FakeSource[] = []
  const timers: (() => void)[] = []
  let tokens = 0
  const deps: EventDeps = {
    openEventSource: (url) => {
      const s = new FakeSource(url)
      sources.push(s)
      return s as unknown as EventSource
    },
    token: async () => ({ stream_url: `/admin/events/stream?token=t${++tokens}` }),
    setTimeout: (fn) => timers.push(fn),
    clearTimeout: () => {},
  }
  return { hub: listEventHub(deps), sources, timers, tokens: () => tokens }
}

const settle = () => new Promise((r) => setTimeout(r, 0))

describe('list events', () => {
  it('opens one stream for all listeners, delivers events, and closes with the last listener', async () => {
    const { hub, sources } = harness()
    const a: ListEvent[] = []
    const b: ListEvent[] = []
    const stopA = hub.listen((e) => a.push(e))
    const stopB = hub.listen((e) => b.push(e))
    await settle()
    expect(sources).toHaveLength(1)
    sources[0]?.emit('ready')
    sources[0]?.emit('execution', '{"execution_id":"exec-1","status":"running"}')
    expect(a).toEqual([{ kind: 'resync' }, { kind: 'execution', execution_id: 'exec-1', status: 'running' }])
    expect(b).toEqual(a)
    stopA()
    expect(sources[0]?.closed).toBe(false)
    stopB()
    expect(sources[0]?.closed).toBe(true)
  })

  it('reconnects with a fresh token after an error and asks the lists to read again', async () => {
    const { hub, sources, timers, tokens } = harness()
    const got: ListEvent[] = []
    hub.listen((e) => got.push(e))
    await settle()
    sources[0]?.onerror?.()
    expect(sources[0]?.closed).toBe(true)
    timers.shift()?.()
    await settle()
    expect(sources).toHaveLength(2)
    expect(tokens()).toBe(2)
    expect(sources[1]?.url).toBe('/admin/events/stream?token=t2')
    sources[1]?.emit('ready')
    sources[1]?.emit('resync')
    expect(got).toEqual([{ kind: 'resync' }, { kind: 'resync' }])
  })

  it('does not reconnect once nobody listens', async () => {
    const { hub, sources, timers } = harness()
    const stop = hub.listen(() => {})
    await settle()
    sources[0]?.onerror?.()
    stop()
    timers.forEach((t) => t())
    await settle()
    expect(sources).toHaveLength(1)
  })
})
