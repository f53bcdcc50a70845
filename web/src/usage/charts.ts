import type { UsageGroup } from '../api/orchestration'

/** One stacked series: a name and a value per period. */
export interface Series {
  name: string
  values: number[]
}

/** What a stacked bar chart draws. */
export interface Stacked {
  periods: string[]
  series: Series[]
  /** The tallest stack (at least a tiny positive number, so an empty chart scales). */
  max: number
}

type Numeric = 'cost_usd' | 'runs' | 'input_tokens' | 'output_tokens'

/** The local dates from `first` to `last` (YYYY-MM-DD), one per `stepDays`, so quiet periods show as gaps. */
export function periodsBetween(first: string, last: string, stepDays: number): string[] {
  const out: string[] = []
  const end = Date.parse(`${last}T00:00:00Z`)
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= end && out.length < 1000; t += stepDays * 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10))
  }
  return out
}

/** Adds `value` up per period, one series per distinct `by` (largest total first). */
export function stack(groups: UsageGroup[], by: 'trigger_id' | 'backend_id', value: Numeric, periods: string[]): Stacked {
  const index = new Map(periods.map((p, i) => [p, i]))
  const series = new Map<string, number[]>()
  for (const g of groups) {
    const i = index.get(g.period_start)
    if (i === undefined) continue
    const values = series.get(g[by]) ?? new Array<number>(periods.length).fill(0)
    values[i] = (values[i] ?? 0) + g[value]
    series.set(g[by], values)
  }
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0)
  const list = [...series.entries()].map(([name, values]) => ({ name, values })).sort((a, b) => sum(b.values) - sum(a.values))
  const max = Math.max(1e-9, ...periods.map((_, i) => list.reduce((t, s) => t + (s.values[i] ?? 0), 0)))
  return { periods, series: list, max }
}

/** Tokens in and out per period, as two series. */
export function tokens(groups: UsageGroup[], periods: string[]): Stacked {
  const input = stack(groups.map((g) => ({ ...g, backend_id: 'input' })), 'backend_id', 'input_tokens', periods)
  const output = stack(groups.map((g) => ({ ...g, backend_id: 'output' })), 'backend_id', 'output_tokens', periods)
  const series = [
    input.series[0] ?? { name: 'input', values: periods.map(() => 0) },
    output.series[0] ?? { name: 'output', values: periods.map(() => 0) },
  ]
  const max = Math.max(1e-9, ...periods.map((_, i) => (series[0]?.values[i] ?? 0) + (series[1]?.values[i] ?? 0)))
  return { periods, series, max }
}

/** Runs per status per period. */
export function byStatus(groups: UsageGroup[], periods: string[]): Stacked {
  const index = new Map(periods.map((p, i) => [p, i]))
  const series = new Map<string, number[]>()
  for (const g of groups) {
    const i = index.get(g.period_start)
    if (i === undefined) continue
    for (const [status, n] of Object.entries(g.by_status)) {
      const values = series.get(status) ?? new Array<number>(periods.length).fill(0)
      values[i] = (values[i] ?? 0) + n
      series.set(status, values)
    }
  }
  const list = [...series.entries()].map(([name, values]) => ({ name, values })).sort((a, b) => a.name.localeCompare(b.name))
  const max = Math.max(1e-9, ...periods.map((_, i) => list.reduce((t, s) => t + (s.values[i] ?? 0), 0)))
  return { periods, series: list, max }
}

/** A budget's spend as a share of a limit, capped at 100 for drawing. */
export function share(spent: number, limit: number | null): number {
  if (!limit || limit <= 0) return 0
  return Math.min(100, Math.round((spent / limit) * 1000) / 10)
}

/** Run statuses by meaning: green went well, red did not, amber was stopped or waits, blue is going. */
export const STATUS_COLOURS: Record<string, string> = {
  success: '#1a7f37',
  failed: '#cf222e',
  timeout: '#bc4c00',
  budget_blocked: '#82071e',
  cancelled: '#6e7781',
  interrupted: '#8250df',
  rate_limited: '#9a6700',
  running: '#0969da',
  queued: '#54aeff',
}

/** Colours for series without a meaning of their own (triggers, backends), told apart by hue. */
const PALETTE = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#0e7490', '#bc4c00', '#57606a']

/** The colour of series `name`, the `i`th of its chart. */
export function seriesColour(name: string, i: number, byMeaning: boolean): string {
  return (byMeaning ? STATUS_COLOURS[name] : undefined) ?? PALETTE[i % PALETTE.length] ?? '#57606a'
}
