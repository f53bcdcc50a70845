// The ranges the trigger form checks before it sends anything, so a value out
// of range is refused with a message instead of being changed by the server.

/** The numbers of the trigger form. */
export interface Limited {
  timeout_seconds: number | ''
  sigterm_grace_seconds: number | ''
  stall_timeout_seconds: number | ''
  max_concurrent: number | ''
}

const whole = (v: number | '') => typeof v === 'number' && Number.isInteger(v)

/** A message per field out of range (empty when all are fine). */
export function rangeErrors(f: Limited): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!whole(f.timeout_seconds) || (f.timeout_seconds as number) < 60 || (f.timeout_seconds as number) > 3600) {
    errors.timeout_seconds = 'must be a whole number of seconds from 60 to 3600'
  }
  if (!whole(f.sigterm_grace_seconds) || (f.sigterm_grace_seconds as number) < 1 || (f.sigterm_grace_seconds as number) > 300) {
    errors.sigterm_grace_seconds = 'must be a whole number of seconds from 1 to 300'
  }
  if (f.stall_timeout_seconds !== '' && (!whole(f.stall_timeout_seconds) || f.stall_timeout_seconds < 0 || f.stall_timeout_seconds > 86_400)) {
    errors.stall_timeout_seconds = "must be from 0 (never) to 86400 seconds, or empty for the server's default"
  }
  if (!whole(f.max_concurrent) || (f.max_concurrent as number) < 1) errors.max_concurrent = 'must be 1 or more'
  return errors
}
