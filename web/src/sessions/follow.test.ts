import { describe, expect, it } from 'vitest'
import { followSession, InputQueue } from './follow'

class FakeSource {
  listeners = new Map<string, (e: Event) => void>()
  onopen: (() => void) | null = null
  onerror: (() => void) | null = null
  closed = false
  constructor(readonly url: string) {}
  addEventListener(name: string, fn: (e: Event) => void) {
    this.listeners.set(name, fn)
  }
  emit(name: string, data: unknown) {
    this.listeners.get(name)?.({ data: JSON.stringify(data) } as MessageEvent)
  }
  close() {
    this.closed = true
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0))

describe('followSession', () => {
  it('resumes after the last chunk it drew and draws no chunk twice', async () => {
    const sources: FakeSource[] = []
    const drawn: string[] = []
    const timers: (() => void)[] = []
    followSession(
      'sess-1',
      { onStatus() {}, onOutput: (d) => drawn.push(d), onComplete() {}, onConnection() {} },
      {
        openEventSource: (url) => {
          const s = new FakeSource(url)
          sources.push(s)
          return s as unknown as EventSource
        },
        token: async () => ({ stream_url: '/admin/sessions/sess-1/stream?token=t' }),
        setTimeout: (fn) => timers.push(fn),
      },
    )
    await settle()
    const [first] = sources
    if (!first) throw new Error('no stream opened')
    expect(first.url).toBe('/admin/sessions/sess-1/stream?token=t&after=0')
    first.emit('output', { seq: 1, data: 'a' })
    first.emit('output', { seq: 2, data: 'b' })
    first.onerror?.()
    timers.shift()?.()
    await settle()
    const second = sources[1]
    if (!second) throw new Error('no second stream opened')
    expect(second.url).toBe('/admin/sessions/sess-1/stream?token=t&after=2')
    second.emit('output', { seq: 2, data: 'b' })
    second.emit('output', { seq: 3, data: 'c' })
    expect(drawn).toEqual(['a', 'b', 'c'])
  })
})

describe('InputQueue', () => {
  it('sends keys in order, those typed meanwhile together', async () => {
    const sent: string[] = []
    let release: () => void = () => {}
    const queue = new InputQueue(
      (text) => {
        sent.push(text)
        return new Promise<void>((r) => (release = r))
      },
      () => {},
    )
    queue.push('l')
    queue.push('s')
    queue.push('\r')
    expect(sent).toEqual(['l'])
    release()
    await settle()
    expect(sent).toEqual(['l', 's\r'])
  })
})
