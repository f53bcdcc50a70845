// Audit entries in words: "Ran trigger", "Created API key", with a link to
// what they changed. Entries name their action either as `entity.verb` (a
// handler's note) or as the request's method and route pattern.
import type { RouteLocationRaw } from 'vue-router'

const ACTIONS: Record<string, string> = {
  run: 'Ran',
  cancel: 'Cancelled',
  retry: 'Retried',
  'clear-rate-limit': 'Cleared the rate limit of',
  accept: 'Accepted the plan of',
  discard: 'Discarded the plan of',
  answers: 'Answered the questions of',
  'fallback-chain': 'Set the fallback chain of',
  check: 'Checked',
  restore: 'Restored the roadmap of',
  'try-now': 'Tried now',
  research: 'Started research for',
  import: 'Imported',
}

const NOUNS: Record<string, string> = {
  triggers: 'trigger',
  executions: 'execution',
  'api-keys': 'API key',
  api_key: 'API key',
  backends: 'backend',
  accounts: 'account',
  budgets: 'budget',
  budget: 'budget',
  projects: 'project',
  phases: 'phase',
  milestones: 'milestone',
  requirements: 'requirement',
  decisions: 'decision',
  todos: 'todo',
  'planning-sessions': 'planning session',
  'research-runs': 'research run',
  paths: 'path',
}

const NOTES: Record<string, string> = {
  'api_key.create': 'Created API key',
  'api_key.revoke': 'Revoked API key',
  'budget.soft_limit': 'Budget passed its soft limit',
}

const param = (s: string) => s.startsWith('{')
const noun = (segment: string | undefined) => (segment ? (NOUNS[segment] ?? segment.replace(/-/g, ' ')) : 'item')

/** The action in words. */
export function actionText(action: string): string {
  if (NOTES[action]) return NOTES[action]
  const [method, route] = action.split(' ')
  if (!route) return action.replace(/[._]/g, ' ')
  const parts = route.split('/').filter(Boolean).slice(1)
  const last = parts.at(-1)
  if (!last) return action
  if (param(last)) {
    const what = noun(parts.at(-2))
    return method === 'DELETE' ? `Deleted ${what}` : `Changed ${what}`
  }
  const owner = noun([...parts.slice(0, -1)].reverse().find((p, i, all) => !param(p) && param(all[i - 1] ?? '{')))
  if (last === 'paths') return method === 'DELETE' ? `Removed a path from ${owner}` : `Added a path to ${owner}`
  if (ACTIONS[last] && parts.length > 1) return `${ACTIONS[last]} ${owner}`
  return method === 'POST' ? `Created ${noun(last)}` : `${method} ${noun(last)}`
}

/** Where the entry's entity is shown in the dashboard, if anywhere. */
export function entityLink(type: string, id: string | null): RouteLocationRaw | null {
  if (!id) return null
  switch (type) {
    case 'trigger':
    case 'triggers':
      return { name: 'trigger', params: { id } }
    case 'execution':
    case 'executions':
      return { name: 'execution', params: { id } }
    case 'projects':
      return { name: 'roadmap', params: { id } }
    case 'budget':
    case 'budgets':
      return { name: 'budgets', hash: `#budget-${id}` }
    case 'api_key':
    case 'api_keys':
      return { name: 'api-keys' }
    case 'backends':
      return { name: 'backends' }
    default:
      return null
  }
}

/** The entity's kind in words. */
export const entityText = (type: string) => NOUNS[type] ?? noun(type.replace(/_/g, '-'))
