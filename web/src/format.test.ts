import { describe, expect, it } from 'vitest'
import { bytes, cost, count, countdown, duration, inZone, relative } from './format'

describe('format', () => {
  it('shows durations at a readable scale', () => {
    expect(duration(null)).toBe('—')
    expect(duration(850)).toBe('850 ms')
    expect(duration(12_345)).toBe('12.3 s')
    expect(duration(245_000)).toBe('4 min 05 s')
    expect(duration(3_720_000)).toBe('1 h 02 min')
  })

  it('keeps the digits that matter in small costs', () => {
    expect(cost(undefined)).toBe('—')
    expect(cost(0)).toBe('$0.00')
    expect(cost(0.0042)).toBe('$0.0042')
    expect(cost(1.249)).toBe('$1.25')
  })

  it('groups thousands', () => {
    expect(count(20002)).toBe('20,002')
  })
})

describe('inZone', () => {
  it('shows the wall-clock time of the zone, across a daylight-saving change', () => {
    expect(inZone('2026-03-28T08:00:00Z', 'Europe/Berlin', 'en-GB')).toBe('Sat, 28 Mar 2026, 09:00')
    expect(inZone('2026-03-29T07:00:00Z', 'Europe/Berlin', 'en-GB')).toBe('Sun, 29 Mar 2026, 09:00')
    expect(inZone('2026-03-29T07:00:00Z', 'Asia/Tokyo', 'en-GB')).toBe('Sun, 29 Mar 2026, 16:00')
  })

  it('falls back to the browser zone for an unknown zone', () => {
    expect(inZone('2026-03-29T07:00:00Z', 'Mars/Olympus')).toBe(new Date('2026-03-29T07:00:00Z').toLocaleString())
  })
})

describe('relative times', () => {
  const now = Date.parse('2026-12-06T12:00:00Z')
  it('reads as people say it, past and future', () => {
    expect(relative(null, now)).toBe('—')
    expect(relative('2026-12-06T11:59:40Z', now)).toBe('just now')
    expect(relative('2026-12-06T12:00:20Z', now)).toBe('in a moment')
    expect(relative('2026-12-06T11:55:00Z', now)).toBe('5 minutes ago')
    expect(relative('2026-12-06T14:00:00Z', now)).toBe('in 2 hours')
    expect(relative('2026-12-05T12:00:00Z', now)).toBe('yesterday')
    expect(relative('2026-10-06T12:00:00Z', now)).toBe('2 months ago')
  })

  it('counts down to a time and stops at now', () => {
    expect(countdown('2026-12-06T12:01:05Z', now)).toBe('1 min 05 s')
    expect(countdown('2026-12-06T12:00:00.400Z', now)).toBe('1.0 s')
    expect(countdown('2026-12-06T11:59:00Z', now)).toBe('now')
  })
})

describe('bytes', () => {
  it('uses the largest unit that keeps a number of at least one', () => {
    expect(bytes(null)).toBe('—')
    expect(bytes(512)).toBe('512 B')
    expect(bytes(3.4 * 1024 * 1024)).toBe('3.4 MB')
    expect(bytes(10 * 1024 ** 3)).toBe('10 GB')
  })
})
