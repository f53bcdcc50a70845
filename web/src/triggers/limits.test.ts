import { describe, expect, it } from 'vitest'
import { rangeErrors } from './limits'

const fine = { timeout_seconds: 600, sigterm_grace_seconds: 10, stall_timeout_seconds: '' as const, max_concurrent: 1 }

describe('trigger form limits', () => {
  it('accepts values in range and an empty stall timeout', () => {
    expect(rangeErrors(fine)).toEqual({})
    expect(rangeErrors({ ...fine, stall_timeout_seconds: 0 })).toEqual({})
  })

  it('refuses a timeout of 0 instead of letting it become 60, and every other value out of range', () => {
    expect(rangeErrors({ ...fine, timeout_seconds: 0 })).toEqual({ timeout_seconds: 'must be a whole number of seconds from 60 to 3600' })
    expect(Object.keys(rangeErrors({ timeout_seconds: '', sigterm_grace_seconds: 0, stall_timeout_seconds: 90_000, max_concurrent: 0 }))).toEqual([
      'timeout_seconds',
      'sigterm_grace_seconds',
      'stall_timeout_seconds',
      'max_concurrent',
    ])
    expect(rangeErrors({ ...fine, timeout_seconds: 60.5 })).toHaveProperty('timeout_seconds')
  })
})
