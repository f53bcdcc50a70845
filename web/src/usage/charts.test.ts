import { describe, expect, it } from 'vitest'
import type { UsageGroup } from '../api/orchestration'
import { byStatus, periodsBetween, seriesColour, share, stack, tokens } from './charts'

const group = (day: string, trigger: string, backend: string, cost: number, status: Record<string, number>): UsageGroup => ({
  period_start: day,
  trigger_id: trigger,
  backend_id: backend,
  account_id: null,
  runs: Object.values(status).reduce((a, b) => a + b, 0),
  by_status: status,
  input_tokens: 10,
  output_tokens: 5,
  cost_usd: cost,
})

describe('usage charts', () => {
  const groups = [
    group('2026-11-20', 'trig-a', 'backend-claude', 0.5, { success: 1 }),
    group('2026-11-20', 'trig-b', 'backend-codex', 0.25, { failed: 1 }),
    group('2026-11-22', 'trig-a', 'backend-claude', 1, { success: 2 }),
  ]
  const days = periodsBetween('2026-11-20', '2026-11-22', 1)

  it('lists every period, quiet ones included', () => {
    expect(days).toEqual(['2026-11-20', '2026-11-21', '2026-11-22'])
    expect(periodsBetween('2026-11-02', '2026-11-16', 7)).toEqual(['2026-11-02', '2026-11-09', '2026-11-16'])
  })

  it('stacks cost by trigger and by backend, largest series first', () => {
    const byTrigger = stack(groups, 'trigger_id', 'cost_usd', days)
    expect(byTrigger.series).toEqual([
      { name: 'trig-a', values: [0.5, 0, 1] },
      { name: 'trig-b', values: [0.25, 0, 0] },
    ])
    expect(byTrigger.max).toBe(1)
    expect(stack(groups, 'backend_id', 'cost_usd', days).series.map((s) => s.name)).toEqual(['backend-claude', 'backend-codex'])
  })

  it('splits tokens in and out and counts runs by status', () => {
    expect(tokens(groups, days).series.map((s) => s.values)).toEqual([
      [20, 0, 10],
      [10, 0, 5],
    ])
    expect(byStatus(groups, days).series).toEqual([
      { name: 'failed', values: [1, 0, 0] },
      { name: 'success', values: [1, 0, 2] },
    ])
  })

  it('gives an empty chart a positive scale', () => {
    expect(stack([], 'trigger_id', 'cost_usd', days).max).toBeGreaterThan(0)
  })

  it('draws spend against a limit as a capped percentage', () => {
    expect(share(0.03, 0.05)).toBe(60)
    expect(share(0.08, 0.05)).toBe(100)
    expect(share(1, null)).toBe(0)
  })
})

describe('series colours', () => {
  it('draw statuses by meaning and other series by position', () => {
    expect(seriesColour('success', 3, true)).toBe('#1a7f37')
    expect(seriesColour('failed', 0, true)).toBe('#cf222e')
    expect(seriesColour('success', 0, false)).toBe(seriesColour('anything', 0, false))
    expect(seriesColour('trig-a', 0, false)).not.toBe(seriesColour('trig-b', 1, false))
  })
})
