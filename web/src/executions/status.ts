// A run's status in words, where its wire name would mislead.
const words: Record<string, string> = { rate_limited: 'waiting for limit reset', budget_blocked: 'blocked by budget' }

export const statusText = (status: string): string => words[status] ?? status
