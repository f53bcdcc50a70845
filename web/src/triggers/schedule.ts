// A schedule as the form edits it, and as the API takes it.
import type { ScheduleFields, ScheduleType, Trigger } from '../api/triggers'
import { localZone } from '../format'

export interface ScheduleDraft {
  type: ScheduleType
  time: string
  /** Weekday 0–6 (Monday first) for weekly, day of month 1–28 for monthly. */
  day: number
  cron: string
  timezone: string
}

/** A new schedule: daily at 09:00 in the browser's zone (the server reads no zone as UTC). */
export function newSchedule(): ScheduleDraft {
  return { type: 'daily', time: '09:00', day: 0, cron: '', timezone: localZone() }
}

/** A stored trigger's schedule. */
export function scheduleOf(t: Trigger): ScheduleDraft {
  return {
    type: t.schedule_type ?? 'daily',
    time: t.schedule_time ?? '',
    day: t.schedule_day ?? 0,
    cron: t.schedule_cron ?? '',
    timezone: t.schedule_timezone ?? 'UTC',
  }
}

/** The fields the API takes: only those the kind of schedule uses. */
export function scheduleFields(s: ScheduleDraft): ScheduleFields {
  const cron = s.type === 'cron'
  return {
    schedule_type: s.type,
    schedule_time: cron ? undefined : s.time,
    schedule_day: cron || s.type === 'daily' ? undefined : s.day,
    schedule_cron: cron ? s.cron : undefined,
    schedule_timezone: s.timezone,
  }
}

/** Weekday 0–6 and day of month 1–28 share one field: the day kept in range for `type`. */
export function dayFor(type: ScheduleType, day: number): number {
  if (type === 'monthly' && day < 1) return 1
  if (type === 'weekly' && day > 6) return 0
  return day
}
