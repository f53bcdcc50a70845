// How numbers and times read in the dashboard.

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—')

/** `iso` as the wall-clock time in IANA `zone` ("Mon, 23 Nov 2026, 09:00" in en-GB); in the browser's zone when `zone` is unknown. */
export function inZone(iso: string, zone: string, locale?: string): string {
  try {
    return new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(iso))
  } catch {
    return when(iso)
  }
}

/** The browser's IANA zone. */
export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

/** 850 ms, 12.3 s, 4 min 05 s, 1 h 02 min. */
export function duration(ms: number | null | undefined): string {
  if (ms == null) return '—'
  if (ms < 1000) return `${ms} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/** US dollars with enough digits for cheap runs: $0.0042, $1.25. */
export function cost(usd: number | null | undefined): string {
  if (usd == null) return '—'
  if (usd === 0) return '$0.00'
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`
}

export function count(n: number | null | undefined): string {
  return n == null ? '—' : n.toLocaleString('en-US')
}

/** Bytes in the largest unit that keeps a number ≥ 1: "512 B", "3.4 MB", "10 GB" (powers of 1024). */
export function bytes(n: number | null | undefined): string {
  if (n == null) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 || value >= 10 ? `${Math.round(value)} ${units[unit]}` : `${value.toFixed(1)} ${units[unit]}`
}

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
]

/** "just now", "5 minutes ago", "in 2 hours", "yesterday": `iso` against `now` (ms). */
export function relative(iso: string | null | undefined, now: number): string {
  if (!iso) return '—'
  const diff = new Date(iso).getTime() - now
  if (Math.abs(diff) < 45_000) return diff > 0 ? 'in a moment' : 'just now'
  for (const [unit, ms] of units) {
    if (Math.abs(diff) >= ms || unit === 'minute') return relativeFormat.format(Math.round(diff / ms), unit)
  }
  return when(iso)
}

/** "1 min 05 s" left until `iso`, counting down; "now" once it is due. */
export function countdown(iso: string, now: number): string {
  const left = new Date(iso).getTime() - now
  return left <= 0 ? 'now' : duration(Math.ceil(left / 1000) * 1000)
}
