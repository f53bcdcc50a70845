// Roadmaps: import a .planning/ folder in the browser, see the dependency graph
// and the coverage badge, drag a phase to Complete and see progress change.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'
import { repoDir } from './server.mjs'

const fixture = join(repoDir, 'crates/agented_roadmaps/tests/fixtures/template')

describe('roadmaps', () => {
  const ctx = serverAndBrowser()

  it('imports planning files, shows the graph and coverage, and a dragged phase changes progress', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/roadmaps')
    await page.getByLabel('Name', { exact: true }).fill('Acme Bot Farm')
    await page.getByLabel('.planning/ files to import').setInputFiles(
      ['ROADMAP.md', 'REQUIREMENTS.md', 'STATE.md', 'PROJECT.md'].map((f) => join(fixture, f)),
    )
    await page.getByText('4 markdown files picked').waitFor()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    // The fixture has sections Agented keeps as notes: the import says which.
    const warnings = page.getByTestId('import-warnings')
    await warnings.waitFor()
    assert.match(await warnings.textContent(), /Owner|Phase 2/)
    const row = page.locator('tr[data-project="Acme Bot Farm"]')
    await row.waitFor()
    assert.equal((await row.locator('.badge').textContent()).trim(), '7/7')

    await row.getByRole('link', { name: 'Acme Bot Farm' }).click()
    await page.waitForURL(/\/roadmaps\/proj-/)
    assert.equal((await page.getByTestId('coverage-badge').textContent()).trim(), '7/7')
    const graph = page.getByTestId('roadmap-graph')
    await graph.locator('.vue-flow__node').first().waitFor()
    assert.equal(await graph.locator('.vue-flow__node').count(), 5)
    await graph.locator('.vue-flow__edge').first().waitFor()
    assert.equal(await graph.locator('.vue-flow__edge').count(), 4, '1→2, 2→2.1, 1→3, 2→3')
    assert.match(await graph.locator('[data-phase="1"]').textContent(), /Storage Layer[\s\S]*100%/)
    assert.ok(await graph.locator('.vue-flow__node.phase-complete').count() === 1)

    const percent = page.getByTestId('milestone-percent')
    const before = (await percent.textContent()).trim()
    const board = page.getByTestId('phase-board')
    await board.locator('[data-phase="2"]').dragTo(board.locator('[data-status="complete"]'))
    await board.locator('[data-status="complete"] [data-phase="2"]').waitFor()
    await page.waitForFunction((old) => document.querySelector('[data-testid=milestone-percent]')?.textContent?.trim() !== old, before)
    assert.equal((await percent.textContent()).trim(), '40%', `was ${before}`)
    await graph.locator('.vue-flow__node.phase-complete').nth(1).waitFor()

    const id = page.url().split('/').pop()
    const roadmap = await ctx.server.api(`/api/projects/${id}/roadmap`)
    const two = roadmap.body.milestones[0].phases.find((p) => p.number === '2')
    assert.equal(two.status, 'complete')
    assert.deepEqual(roadmap.body.ready, ['2.1', '3', '4'])
    // Every phase of the fixture appears in the traceability matrix's header.
    assert.equal(await page.getByTestId('traceability').locator('thead th').count(), 2 + 5)
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('imports a whole folder, opens a phase from the board, moves cards by keyboard, and asks before completing early', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/roadmaps')
    await page.getByLabel('Name', { exact: true }).fill('Folder import')
    await page.getByLabel('or a whole .planning folder').setInputFiles(fixture)
    const picked = page.getByTestId('picked-files')
    await picked.filter({ hasText: /\d+ markdown files picked: / }).waitFor()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    const row = page.locator('tr[data-project="Folder import"]')
    await row.waitFor()
    await row.getByRole('link', { name: 'Folder import' }).click()
    await page.waitForURL(/\/roadmaps\/proj-/)
    const id = page.url().split('/').pop()
    const phase = async (n) => (await ctx.server.api(`/api/projects/${id}/roadmap`)).body.milestones.flatMap((m) => m.phases).find((p) => p.number === n)

    // A card opens its detail; Esc closes it and gives focus back to the card.
    const board = page.getByTestId('phase-board')
    const one = board.locator('[data-phase="1"]')
    await one.focus()
    await page.keyboard.press('Enter')
    const detail = page.getByTestId('phase-detail')
    await detail.waitFor()
    assert.match(await detail.textContent(), /Phase 1 · Storage Layer/)
    assert.ok((await detail.locator('li').count()) > 0, 'its requirements and plans')
    await page.keyboard.press('Escape')
    await detail.waitFor({ state: 'detached' })
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.phase), '1')

    // Phase 3 waits on phase 2 (pending): the arrow keys move it, and completing it asks first.
    const three = () => board.locator('[data-phase="3"]')
    assert.deepEqual((await phase('3')).depends_on.includes('2'), true)
    await three().focus()
    await page.keyboard.press('ArrowRight')
    await board.locator('[data-status="in_progress"] [data-phase="3"]').waitFor()
    assert.equal((await phase('3')).status, 'in_progress')
    const asked = []
    page.once('dialog', (d) => {
      asked.push(d.message())
      void d.dismiss()
    })
    await three().focus()
    await page.keyboard.press('ArrowRight')
    assert.match(asked[0] ?? '', /Phase 3 depends on phase 2, which is not complete/)
    assert.equal((await phase('3')).status, 'in_progress', 'declined: unchanged')
    page.once('dialog', (d) => void d.accept())
    await three().focus()
    await page.keyboard.press('ArrowRight')
    await board.locator('[data-status="complete"] [data-phase="3"]').waitFor()
    assert.equal((await phase('3')).status, 'complete')
    assert.deepEqual(errors, [])
    await page.close()
  })
})
