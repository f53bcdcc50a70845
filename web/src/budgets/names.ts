// Budgets named the way people think of them: "the trigger budget of disk alerts".
import type { Budget } from '../api/orchestration'

const periods: Record<Budget['period'], string> = { daily: 'today', weekly: 'this week', monthly: 'this month' }

/** The budget's scope by name; `names` maps trigger, backend and account ids to names. */
export function budgetName(b: Pick<Budget, 'scope' | 'entity_id'>, names: ReadonlyMap<string, string> = new Map()): string {
  if (b.scope === 'global' || !b.entity_id) return 'the global budget'
  return `the ${b.scope} budget of ${names.get(b.entity_id) ?? b.entity_id}`
}

/** Which limit a budget is past, in words: "$5.10 spent of its hard limit $5.00 today". */
export function limitText(b: Budget, names?: ReadonlyMap<string, string>): string {
  const hard = b.level === 'exceeded'
  return `${budgetName(b, names)}: ${formatUsd(b.spent_usd)} spent of its ${hard ? 'hard' : 'soft'} limit ${formatUsd(hard ? b.hard_limit_usd : b.soft_limit_usd)} ${periods[b.period]}`
}

const formatUsd = (usd: number | null) => (usd == null ? '—' : `$${usd.toFixed(2)}`)
