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

  it('adds a second plan after the first, asks before replacing a completed phase, and undoes an accept', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/roadmaps')
    await page.getByLabel('Name', { exact: true }).fill('Layered')
    await page.getByRole('button', { name: 'Create empty project' }).click()
    await page.waitForURL(/\/roadmaps\/proj-/)
    const id = page.url().split('/').pop()
    const panel = page.getByTestId('planning-panel')
    const plan = async (goal) => {
      await panel.getByLabel('Goal').fill(goal)
      await panel.getByRole('button', { name: 'Ask for questions' }).click()
      await panel.getByLabel('Who will use it first?').waitFor()
      await panel.getByRole('button', { name: 'Propose a plan' }).click()
      await panel.getByTestId('proposal').waitFor()
    }
    await plan('Storage first')
    await panel.getByRole('button', { name: 'Accept plan' }).click()
    await panel.getByText('The plan is in the roadmap.').waitFor()
    const done = await ctx.server.api(`/api/projects/${id}/phases/1`, { method: 'PATCH', body: JSON.stringify({ status: 'complete' }) })
    assert.equal(done.status, 200)
    const before = (await ctx.server.api(`/api/projects/${id}/roadmap`)).body
    const completed = before.milestones[0].phases[0]
    await page.reload()

    // The same three phase numbers again: each is added after, unless chosen for replacing.
    await plan('Then accounts')
    const proposal = panel.getByTestId('proposal')
    assert.deepEqual(await proposal.getByTestId('phase-badge').allTextContents(), ['added after', 'added after', 'added after'])
    await proposal.getByLabel('Phase 1 name').fill('Billing')
    await proposal.getByLabel('Replace phase 1').check()
    assert.equal((await proposal.getByTestId('phase-badge').first().textContent()).trim(), 'replaces')

    // Replacing the completed phase asks first; declining writes nothing.
    const asked = []
    page.once('dialog', (d) => {
      asked.push(d.message())
      void d.dismiss()
    })
    await proposal.getByRole('button', { name: 'Accept plan' }).click()
    await page.waitForFunction(() => !document.querySelector('[data-testid=proposal] button[disabled]'))
    assert.match(asked[0] ?? '', new RegExp(`phase 1 '${completed.name}' is complete`))
    assert.deepEqual((await ctx.server.api(`/api/projects/${id}/roadmap`)).body.milestones, before.milestones)

    // Not replacing: the plan lands after the completed work, which keeps its name.
    await proposal.getByLabel('Replace phase 1').uncheck()
    await proposal.getByRole('button', { name: 'Accept plan' }).click()
    await panel.getByText('The plan is in the roadmap.').waitFor()
    const after = (await ctx.server.api(`/api/projects/${id}/roadmap`)).body
    const phases = after.milestones.flatMap((m) => m.phases)
    assert.equal(phases.length, 6)
    assert.deepEqual([phases[0].name, phases[0].status], [completed.name, 'complete'])
    assert.equal(phases[3].name, 'Billing')

    // Undo from the history puts the roadmap back as it was.
    const history = page.getByTestId('roadmap-history')
    page.once('dialog', (d) => void d.accept())
    await history.getByRole('button', { name: 'Undo accepting the plan “Then accounts”' }).click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=roadmap-history] li').length === 3)
    assert.deepEqual((await ctx.server.api(`/api/projects/${id}/roadmap`)).body.milestones, before.milestones)
    assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [], 'only the refusal that asked')
    await page.close()
  })
})
