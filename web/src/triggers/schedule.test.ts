import { describe, expect, it } from 'vitest'
import { dayFor, scheduleFields } from './schedule'

describe('schedule fields', () => {
  it('sends only what the kind of schedule uses', () => {
    const base = { time: '09:30', day: 3, cron: '*/5 * * * *', timezone: 'Europe/Berlin' }
    expect(scheduleFields({ ...base, type: 'daily' })).toEqual({
      schedule_type: 'daily',
      schedule_time: '09:30',
      schedule_day: undefined,
      schedule_cron: undefined,
      schedule_timezone: 'Europe/Berlin',
    })
    expect(scheduleFields({ ...base, type: 'weekly' }).schedule_day).toBe(3)
    expect(scheduleFields({ ...base, type: 'cron' })).toMatchObject({ schedule_cron: '*/5 * * * *', schedule_time: undefined })
  })

  it('keeps the shared day field in range when the kind changes', () => {
    expect(dayFor('monthly', 0)).toBe(1)
    expect(dayFor('weekly', 27)).toBe(0)
    expect(dayFor('weekly', 4)).toBe(4)
  })
})
