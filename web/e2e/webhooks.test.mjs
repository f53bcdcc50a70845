// The webhook part of the trigger form, and a delivery starting a run.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('webhook triggers', () => {
  const ctx = serverAndBrowser()

  it('creates a webhook trigger with a match field; a matching delivery shows up as a run', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/triggers/new')
    await page.getByLabel('Name').fill('disk alerts')
    await page.getByLabel('Prompt').fill('Investigate {message} lines=2')
    await page.getByLabel('Started by').selectOption('webhook')
    const settings = page.getByTestId('webhook-settings')
    await settings.waitFor()
    assert.equal((await page.getByTestId('webhook-url').textContent()).trim(), ctx.server.url + '/')
    await page.getByLabel('Match field path').fill('event.type')
    await page.getByLabel('Match value').fill('alert')
    await page.getByLabel('Keyword').fill('disk')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    const row = page.locator('tr[data-trigger-name="disk alerts"]')
    await row.waitFor()
    assert.match(await row.textContent(), /webhook/)

    const send = (body) => fetch(ctx.server.url + '/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }))
    const miss = await send({ event: { type: 'deploy' }, text: 'disk full' })
    assert.equal(miss.body.message, 'no trigger matched')
    const hit = await send({ event: { type: 'alert' }, text: 'Disk full on db-1' })
    assert.equal(hit.status, 200)
    assert.equal(hit.body.executions.length, 1)
    const again = await send({ text: 'Disk full on db-1', event: { type: 'alert' } })
    assert.equal(again.body.duplicate, true)

    await row.getByTestId('status-badge').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    await page.goto(`${ctx.server.url}/executions/${hit.body.executions[0].execution_id}`)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor()
    assert.match(await page.locator('.prompt pre').textContent(), /<untrusted-input name="message">\nDisk full on db-1\n<\/untrusted-input>/)

    // Editing keeps the webhook settings, and the inspector lists the deliveries.
    await page.goto(ctx.server.url + '/triggers')
    await row.getByRole('link', { name: 'disk alerts' }).click()
    await page.getByTestId('webhook-settings').waitFor()
    assert.equal(await page.getByLabel('Match field path').inputValue(), 'event.type')
    const deliveries = page.getByTestId('deliveries-table')
    await deliveries.locator('tr[data-decision=started]').waitFor()
    assert.equal(await deliveries.locator('tr[data-decision=duplicate]').count(), 1)
    assert.match(await deliveries.locator('tr[data-decision=started]').textContent(), /exec-/)

    // "Would this match?" with the inspector's own payloads.
    await page.getByLabel('Would this payload run the trigger?').fill('{"event": {"type": "deploy"}, "text": "disk"}')
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    assert.match(await page.getByTestId('match-result').textContent(), /It would not run: 'event.type' is 'deploy', not 'alert'/)
    await deliveries.locator('tr[data-decision=started]').getByRole('button', { name: 'Try this payload' }).click()
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    await page.getByTestId('match-result').filter({ hasText: 'It would run, with message “Disk full on db-1”' }).waitFor()
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('shows the GitHub settings and refuses a malformed repository next to its field', async () => {
    const { page } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/triggers/new')
    await page.getByLabel('Name').fill('pr review')
    await page.getByLabel('Prompt').fill('Review {pr_url}')
    await page.getByLabel('Started by').selectOption('github')
    assert.equal((await page.getByTestId('github-url').textContent()).trim(), ctx.server.url + '/api/webhooks/github/')
    await page.getByLabel('Repositories').fill('acme/web, not a repo')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.getByTestId('github-settings').locator('.field-error').filter({ hasText: "'not' is not owner/name" }).waitFor()
    await page.getByLabel('Repositories').fill('acme/web')
    await page.getByLabel('Events').fill('pull_request.opened, issues.opened')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    const list = await ctx.server.api('/admin/triggers')
    const created = list.body.triggers.find((t) => t.name === 'pr review')
    assert.deepEqual(created.github_repos, ['acme/web'])
    assert.deepEqual(created.github_events, ['pull_request.opened', 'issues.opened'])
    await page.close()
  })
})
