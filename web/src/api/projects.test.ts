import { describe, expect, it } from 'vitest'
import { planningPath } from './projects'

describe('planningPath', () => {
  it('keeps the path inside .planning/ of a picked folder', () => {
    expect(planningPath('repo/.planning/milestones/v1.0/ROADMAP.md', 'ROADMAP.md')).toBe('milestones/v1.0/ROADMAP.md')
    expect(planningPath('.planning/STATE.md', 'STATE.md')).toBe('STATE.md')
  })

  it('drops the picked folder name, or uses the bare file name', () => {
    expect(planningPath('plans/research/STACK.md', 'STACK.md')).toBe('research/STACK.md')
    expect(planningPath('', 'ROADMAP.md')).toBe('ROADMAP.md')
  })
})
