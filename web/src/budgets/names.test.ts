import { describe, expect, it } from 'vitest'
import type { Budget } from '../api/orchestration'
import { budgetName, limitText } from './names'

const budget = (over: Partial<Budget>): Budget => ({
  id: 'bud-1',
  scope: 'trigger',
  entity_id: 'trig-abc',
  period: 'daily',
  timezone: 'UTC',
  soft_limit_usd: 1,
  hard_limit_usd: 5,
  spent_usd: 2.5,
  reserved_usd: 0,
  level: 'warning',
  period_start: '',
  period_end: '',
  ...over,
})

describe('budget names', () => {
  const names = new Map([['trig-abc', 'disk alerts']])
  it('names the scope by its name, or its id when unknown', () => {
    expect(budgetName(budget({}), names)).toBe('the trigger budget of disk alerts')
    expect(budgetName(budget({ scope: 'account', entity_id: 'acct-1' }), names)).toBe('the account budget of acct-1')
    expect(budgetName(budget({ scope: 'global', entity_id: null }))).toBe('the global budget')
  })

  it('says which limit is passed: soft when only the soft one is', () => {
    expect(limitText(budget({}), names)).toBe('the trigger budget of disk alerts: $2.50 spent of its soft limit $1.00 today')
    expect(limitText(budget({ level: 'exceeded', spent_usd: 5.1, period: 'monthly' }), names)).toBe(
      'the trigger budget of disk alerts: $5.10 spent of its hard limit $5.00 this month',
    )
  })
})
