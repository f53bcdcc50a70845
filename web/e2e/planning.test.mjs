// Planning with the fake bot in the browser: start a roadmap by answering the
// bot's questions, edit and accept its proposal, see the graph and the coverage
// badge; then research the milestone and read the sanitised summary.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('planning', () => {
  const ctx = serverAndBrowser()

  it('starts a roadmap through the planning conversation, then researches its milestone', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/roadmaps')
    await page.getByLabel('Name', { exact: true }).fill('Todo Planner')
    await page.getByRole('button', { name: 'Create empty project' }).click()
    await page.waitForURL(/\/roadmaps\/proj-/)
    assert.equal((await page.getByTestId('coverage-badge').textContent()).trim(), '0/0')

    const panel = page.getByTestId('planning-panel')
    await panel.getByLabel('Goal').fill('A shared todo app for small teams')
    await panel.getByRole('button', { name: 'Ask for questions' }).click()
    // The fake bot's two questions, with suggested answers for the first.
    const first = panel.getByLabel('Who will use it first?')
    await first.waitFor()
    assert.equal(await panel.locator('[data-question]').count(), 2)
    await first.fill('a team')
    await panel.getByRole('button', { name: 'Propose a plan' }).click()

    const proposal = panel.getByTestId('proposal')
    await proposal.waitFor()
    assert.match(await proposal.textContent(), /A plan in three phases \(1 answers used\)/)
    assert.equal(await proposal.locator('[data-proposed-phase]').count(), 3)
    assert.equal(await proposal.locator('.change-added').count(), 1 + 3 + 3, 'a new milestone, phases and requirements')
    // Nothing is written before Accept.
    const id = page.url().split('/').pop()
    assert.deepEqual((await ctx.server.api(`/api/projects/${id}/roadmap`)).body.milestones, [])

    // Removing phase 1 breaks phase 2's dependency: the refusal says why, and nothing is written.
    await proposal.getByRole('button', { name: 'Remove phase 1' }).click()
    await proposal.getByRole('button', { name: 'Accept plan' }).click()
    await panel.getByText('phase 2 depends on phase 1, which does not exist').waitFor()
    assert.deepEqual((await ctx.server.api(`/api/projects/${id}/roadmap`)).body.milestones, [])
    await page.reload()
    await panel.getByTestId('proposal').waitFor()
    await proposal.getByLabel('Phase 3 name').fill('Sharing and invites')
    await proposal.getByRole('button', { name: 'Accept plan' }).click()
    await panel.getByText('The plan is in the roadmap.').waitFor()
    await page.waitForFunction(() => document.querySelector('[data-testid=coverage-badge]')?.textContent?.trim() === '3/3')
    const graph = page.getByTestId('roadmap-graph')
    await graph.locator('.vue-flow__node').first().waitFor()
    assert.equal(await graph.locator('.vue-flow__node').count(), 3)
    // Straight edges have no height, so Playwright calls them hidden: wait for them in the page.
    await graph.locator('.vue-flow__edge path[d]').first().waitFor({ state: 'attached' })
    assert.equal(await graph.locator('.vue-flow__edge').count(), 2, '1→2, 2→3')
    assert.match(await graph.locator('[data-phase="3"]').textContent(), /Sharing and invites/)

    // The two runs are ordinary executions of the planner.
    const runs = await ctx.server.api('/admin/executions?trigger_id=bot-planner')
    assert.equal(runs.status, 200)
    assert.equal(runs.body.executions.filter((e) => e.status === 'success').length, 2)

    // Research: four parts, then the summary, shown as sanitised markdown.
    const research = page.getByTestId('research-panel')
    await research.getByRole('button', { name: 'Research', exact: true }).click()
    await research.locator('[data-testid=research-progress][data-stage=done]').waitFor({ timeout: 30_000 })
    assert.equal(await research.locator('[data-status=done]').count(), 5)
    await research.getByRole('tab', { name: 'summary' }).click()
    const doc = research.getByTestId('research-doc')
    await doc.locator('h1', { hasText: 'Summary research' }).waitFor()
    assert.equal(await doc.locator('strong', { hasText: 'first' }).count(), 1)
    assert.equal(await doc.locator('script').count(), 0)
    assert.equal(await doc.locator('img').count(), 0)
    // The bot's raw HTML is shown as text, not run.
    assert.match(await doc.textContent(), /<script>window.__pwned = true<\/script>/)
    assert.equal(await page.evaluate(() => window.__pwned), undefined)
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [], 'only the intended refusal')
    await page.close()
  })
})
