import { ref } from 'vue'
import { request } from './client'

/** Bumped after every budget change, so views showing budgets (the banner) reload. */
export const budgetChanges = ref(0)

async function changed<T>(result: Promise<T>): Promise<T> {
  const value = await result
  budgetChanges.value++
  return value
}

/** An account of a backend (the API key is named by its variable, never shown). */
export interface Account {
  id: string
  backend_id: string
  name: string
  api_key_env: string | null
  api_key_present: boolean | null
  config_dir: string | null
  is_default: boolean
  plan: string | null
  is_rate_limited: boolean
  rate_limited_until: string | null
  rate_limit_reason: string | null
  rate_limit_hits: number
  usage: { runs: number; input_tokens: number; output_tokens: number; total_cost_usd: number; last_used_at: string | null }
  created_at: string
  updated_at: string
}

export interface AccountInput {
  name?: string
  api_key_env?: string
  config_dir?: string
  is_default?: boolean
  plan?: string
}

const accountPath = (backend: string, id?: string) =>
  `/admin/backends/${encodeURIComponent(backend)}/accounts${id ? `/${encodeURIComponent(id)}` : ''}`

export async function listAccounts(): Promise<Account[]> {
  return (await request<{ accounts: Account[] }>('/admin/accounts')).accounts
}

export function createAccount(backend: string, input: AccountInput): Promise<Account> {
  return request<Account>(accountPath(backend), { method: 'POST', body: input })
}

export function updateAccount(account: Account, input: AccountInput): Promise<Account> {
  return request<Account>(accountPath(account.backend_id, account.id), { method: 'PUT', body: input })
}

export function deleteAccount(account: Account): Promise<void> {
  return request<void>(accountPath(account.backend_id, account.id), { method: 'DELETE' })
}

export function clearRateLimit(account: Account): Promise<Account> {
  return request<Account>(`${accountPath(account.backend_id, account.id)}/clear-rate-limit`, { method: 'POST' })
}

export type BudgetLevel = 'ok' | 'warning' | 'exceeded'

/** A budget and its current period. */
export interface Budget {
  id: string
  scope: 'global' | 'trigger' | 'backend' | 'account'
  entity_id: string | null
  period: 'daily' | 'weekly' | 'monthly'
  timezone: string
  soft_limit_usd: number | null
  hard_limit_usd: number | null
  spent_usd: number
  /** What running runs reserved and have not spent yet; new runs are refused when spent + reserved reaches the hard limit. */
  reserved_usd: number
  level: BudgetLevel
  period_start: string
  period_end: string
}

export interface BudgetInput {
  scope?: string
  entity_id?: string
  period?: string
  timezone?: string
  soft_limit_usd?: number | null
  hard_limit_usd?: number | null
}

export async function listBudgets(): Promise<Budget[]> {
  return (await request<{ budgets: Budget[] }>('/admin/budgets')).budgets
}

export function createBudget(input: BudgetInput): Promise<Budget> {
  return changed(request<Budget>('/admin/budgets', { method: 'POST', body: input }))
}

export function updateBudget(id: string, input: BudgetInput): Promise<Budget> {
  return changed(request<Budget>(`/admin/budgets/${encodeURIComponent(id)}`, { method: 'PUT', body: input }))
}

export function deleteBudget(id: string): Promise<void> {
  return changed(request<void>(`/admin/budgets/${encodeURIComponent(id)}`, { method: 'DELETE' }))
}

/** Runs, tokens and cost of one period, trigger, backend and account. */
export interface UsageGroup {
  period_start: string
  trigger_id: string
  backend_id: string
  account_id: string | null
  runs: number
  by_status: Record<string, number>
  input_tokens: number
  output_tokens: number
  cost_usd: number
}

export interface UsageReport {
  period: string
  timezone: string
  since: string
  until: string
  groups: UsageGroup[]
  totals: Omit<UsageGroup, 'period_start' | 'trigger_id' | 'backend_id' | 'account_id'>
  budgets: Budget[]
}

export function getUsage(period: string, timezone?: string): Promise<UsageReport> {
  const query = new URLSearchParams({ period })
  if (timezone) query.set('timezone', timezone)
  return request<UsageReport>(`/admin/budgets/usage?${query.toString()}`)
}

/** Whether a run of the trigger may start now, by the budgets covering it. */
export interface BudgetCheck {
  allowed: boolean
  blocked_by: Budget[]
  warnings: Budget[]
}

export function checkBudget(triggerId: string): Promise<BudgetCheck> {
  return request<BudgetCheck>('/admin/budgets/check', { method: 'POST', body: { trigger_id: triggerId } })
}
