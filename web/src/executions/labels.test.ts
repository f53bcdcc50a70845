import { describe, expect, it } from 'vitest'
import { startedBy } from './labels'

describe('startedBy', () => {
  it('names planning and research runs, and other runs by what started them', () => {
    expect(startedBy({ trigger_id: 'bot-planner', trigger_type: 'manual', prompt: 'Plan the project…' })).toBe('planning')
    expect(startedBy({ trigger_id: 'bot-planner', trigger_type: 'manual', prompt: 'Topic: stack\nResearch…' })).toBe('research')
    expect(startedBy({ trigger_id: 'trig-1', trigger_type: 'github_webhook', prompt: '' })).toBe('GitHub')
    expect(startedBy({ trigger_id: 'trig-1', trigger_type: 'scheduled', prompt: '' })).toBe('schedule')
    expect(startedBy({ trigger_id: 'trig-1', trigger_type: 'manual', prompt: 'Topic: x' })).toBe('manual')
  })
})
