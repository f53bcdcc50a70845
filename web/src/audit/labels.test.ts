import { describe, expect, it } from 'vitest'
import { actionText, entityLink, entityText } from './labels'

describe('audit labels', () => {
  it('reads route patterns as actions', () => {
    expect(actionText('POST /admin/triggers')).toBe('Created trigger')
    expect(actionText('PUT /admin/triggers/{id}')).toBe('Changed trigger')
    expect(actionText('DELETE /admin/triggers/{id}')).toBe('Deleted trigger')
    expect(actionText('POST /admin/triggers/{id}/run')).toBe('Ran trigger')
    expect(actionText('POST /admin/executions/{id}/cancel')).toBe('Cancelled execution')
    expect(actionText('POST /admin/triggers/{id}/paths')).toBe('Added a path to trigger')
    expect(actionText('DELETE /admin/triggers/{id}/paths')).toBe('Removed a path from trigger')
    expect(actionText('POST /admin/backends/{id}/accounts/{account_id}/clear-rate-limit')).toBe('Cleared the rate limit of account')
    expect(actionText('POST /api/projects/{id}/planning-sessions/{session}/accept')).toBe('Accepted the plan of planning session')
    expect(actionText('PATCH /api/projects/{id}/phases/{number}')).toBe('Changed phase')
  })

  it("reads handlers' notes, and keeps what it does not know readable", () => {
    expect(actionText('api_key.create')).toBe('Created API key')
    expect(actionText('something.new')).toBe('something new')
  })

  it('links entities to their pages', () => {
    expect(entityLink('triggers', 'trig-1')).toEqual({ name: 'trigger', params: { id: 'trig-1' } })
    expect(entityLink('budget', 'bud-1')).toEqual({ name: 'budgets', hash: '#budget-bud-1' })
    expect(entityLink('triggers', null)).toBeNull()
    expect(entityText('api_key')).toBe('API key')
    expect(entityText('triggers')).toBe('trigger')
  })
})
