// What started a run, in words.
import type { Execution } from '../api/executions'

/** The predefined trigger planning sessions and research runs go through. */
export const PLANNER_TRIGGER = 'bot-planner'

/** "planning", "research", "webhook", "GitHub", "schedule" or "manual". */
export function startedBy(e: Pick<Execution, 'trigger_id' | 'trigger_type' | 'prompt'>): string {
  // Research prompts open with their topic (agented_roadmaps' prompts).
  if (e.trigger_id === PLANNER_TRIGGER) return e.prompt.startsWith('Topic: ') ? 'research' : 'planning'
  switch (e.trigger_type) {
    case 'github_webhook':
      return 'GitHub'
    case 'scheduled':
      return 'schedule'
    default:
      return e.trigger_type
  }
}
