// The webhook part of the trigger form, and a delivery starting a run.
import { execFileSync } from 'node:child_process'
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
    assert.match(await page.locator('.prompt pre').textContent(), /<untrusted-input-([a-z0-9]{10}) name="message">\nDisk full on db-1\n<\/untrusted-input-\1>/)

    // The trigger's page lists the deliveries; editing keeps the webhook settings.
    await page.goto(ctx.server.url + '/triggers')
    await row.getByRole('link', { name: 'disk alerts', exact: true }).click()
    await page.getByTestId('webhook-setup').waitFor()
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.getByTestId('webhook-settings').waitFor()
    await page.waitForFunction(() => document.querySelector('#t-name')?.value === 'disk alerts')
    assert.equal(await page.getByLabel('Match field path').inputValue(), 'event.type')
    await page.goBack()
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

  it("runs the overview's curl snippet: the run shows up live in the Executions list, without a reload", async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({
        name: 'snippet alerts',
        trigger_source: 'webhook',
        prompt_template: 'Look at {message} lines=1',
        match_field_path: 'alert.kind',
        match_field_value: "it's down",
        detection_keyword: 'db',
      }),
    })
    assert.equal(created.status, 201)
    const id = created.body.trigger_id
    const { page: list, errors } = await openPage(ctx.browser)
    await signIn(list, ctx.server.url, ctx.server.adminKey)
    await list.goto(`${ctx.server.url}/executions?trigger_id=${id}`)
    await list.getByTestId('executions-table').getByText('No executions match.').waitFor()

    // A second tab: the trigger's page, where a new secret is generated and saved.
    const { page } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/triggers/${id}`)
    const setup = page.getByTestId('webhook-setup')
    assert.equal((await setup.getByTestId('trigger-webhook-url').textContent()).trim(), ctx.server.url + '/')
    assert.doesNotMatch(await setup.getByTestId('curl-snippet').textContent(), /openssl/, 'no secret yet: unsigned')
    await setup.getByRole('button', { name: 'Generate a new secret' }).click()
    const secret = await setup.getByTestId('new-secret').inputValue()
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    await setup.getByRole('button', { name: "Save as this trigger's secret" }).click()
    await setup.getByTestId('secret-saved').waitFor()
    assert.equal((await ctx.server.api(`/admin/triggers/${id}`)).body.has_webhook_secret, true)
    const snippet = await setup.getByTestId('curl-snippet').textContent()
    assert.ok(snippet.includes(secret), 'the freshly saved secret is in the snippet')

    // The snippet, run as a user would paste it into a shell.
    const answer = JSON.parse(execFileSync('bash', ['-c', snippet], { encoding: 'utf8' }))
    assert.equal(answer.matched, 1, JSON.stringify(answer))
    const execution = answer.executions[0].execution_id

    // The other tab was not reloaded: the list event brought the run in, and then its end.
    const row = list.locator(`tr[data-execution-id="${execution}"]`)
    await row.waitFor()
    await row.getByTestId('status-badge').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.match(await row.textContent(), /snippet alerts.*webhook/s)
    // A whole row opens its run.
    await row.locator('td').nth(3).click()
    await list.waitForURL(`${ctx.server.url}/executions/${execution}`)
    // The run links back to the delivery that started it.
    const origin = list.getByTestId('run-origin')
    await origin.getByRole('link', { name: 'webhook delivery' }).click()
    await list.waitForURL(`${ctx.server.url}/triggers/${id}#deliveries`)
    await list.getByTestId('deliveries-table').locator(`tr[data-decision=started]`).first().waitFor()

    // A wrong secret is refused, and the trigger's deliveries show it.
    const forged = snippet.replace(secret, 'whsec_wrong')
    const refused = execFileSync('bash', ['-c', `${forged.replace('curl -sS', 'curl -sS -o /dev/null -w "%{http_code}"')}`], { encoding: 'utf8' })
    assert.equal(refused, '401')
    assert.deepEqual(errors, [])
    await page.close()
    await list.close()
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

  it('lists deliveries no trigger matched on the Deliveries page', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    const res = await fetch(ctx.server.url + '/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event: { type: 'nobody-listens' }, text: 'lost' }) })
    assert.equal((await res.json()).message, 'no trigger matched')
    await page.getByRole('link', { name: 'Deliveries' }).click()
    await page.waitForURL(ctx.server.url + '/deliveries')
    const table = page.getByTestId('deliveries-table')
    const lost = table.locator('tr', { hasText: 'nobody-listens' })
    await lost.waitFor()
    assert.match(await lost.textContent(), /none matched/)
    assert.equal(await table.locator('tr[data-decision=started]').count(), 0, 'only unmatched ones at first')
    await page.getByTestId('unmatched-only').uncheck()
    // The deliveries of the first test, which started a run.
    await table.locator('tr[data-decision=started]').first().waitFor()
    assert.deepEqual(errors, [])
    await page.close()
  })
})
