// Sessions in a real browser: a terminal typed into with the keyboard answers,
// a reload redraws what it printed before, and a roadmap runs a GRD command in
// its one planning session. The fake bot plays the CLI in a real pseudo-terminal.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

/** The terminal's visible text, once it contains `text`. */
async function terminalShows(page, text) {
  const rows = page.getByTestId('terminal').locator('.xterm-rows')
  await rows.filter({ hasText: text }).waitFor()
  return rows.innerText()
}

describe('sessions', () => {
  const ctx = serverAndBrowser()

  it('types into a terminal, sees the answer, and sees it again after a reload', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click()
    const form = page.getByTestId('new-session')
    await form.getByLabel('Program').selectOption('claude')
    await form.getByRole('button', { name: 'Open session' }).click()
    await page.waitForURL(/\/sessions\/sess-/)
    await terminalShows(page, 'claude interactive (fake-bot)')

    await page.getByTestId('terminal').click()
    await page.keyboard.type('hello from the browser')
    await page.keyboard.press('Enter')
    await terminalShows(page, 'you said: hello from the browser')

    await page.reload()
    const again = await terminalShows(page, 'you said: hello from the browser')
    assert.match(again, /claude interactive \(fake-bot\)/, 'the whole output is drawn again')
    await page.getByTestId('terminal-connection').filter({ hasText: 'live' }).waitFor()

    await page.getByTestId('terminal-panel').getByRole('button', { name: 'Stop' }).click()
    await page.getByTestId('terminal-panel').locator('[data-status="stopped"]').waitFor()
    await page.getByTestId('terminal-reason').filter({ hasText: 'stopped on request' }).waitFor()
    assert.deepEqual(errors, [])
  })

  it('runs a GRD command in the project\'s one planning session', async () => {
    const created = await ctx.server.api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'Todo' }) })
    assert.equal(created.status, 201)
    const project = created.body.project_id
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/roadmaps/${project}`)
    const card = page.getByTestId('project-terminal')
    await card.getByLabel('GRD command').selectOption('plan-phase')
    await card.getByLabel('Arguments').fill('2')
    await card.getByRole('button', { name: 'Run in a planning session' }).click()
    await terminalShows(page, 'first prompt: /grd:plan-phase 2')

    await card.getByRole('button', { name: 'Run in a planning session' }).click()
    await card.getByRole('alert').filter({ hasText: 'a planning session is already active' }).waitFor()
    const sessions = await ctx.server.api(`/admin/sessions?project_id=${project}`)
    assert.equal(sessions.body.sessions.length, 1, 'the second command started nothing')
    assert.deepEqual(errors.filter((e) => !e.includes('409')), [])
  })
})
