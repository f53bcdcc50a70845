// Usage, budgets and accounts in the browser: the usage page draws its charts
// from real runs of the fake bot; a budget edited on the budgets page refuses,
// then allows, a run; a rate-limited account is shown and cleared.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

/** Runs `trigger` with `message` and follows its stream until it ends or waits rate-limited. */
async function runToEnd(server, trigger, message) {
  const started = await server.api(`/admin/triggers/${trigger}/run`, { method: 'POST', body: JSON.stringify({ message }) })
  assert.equal(started.status, 202, JSON.stringify(started.body))
  const id = started.body.execution_id
  await server.readStream(id, (name, data) => name === 'complete' || (name === 'status' && data.status === 'rate_limited'))
  return (await server.api(`/admin/executions/${id}`)).body
}

describe('usage, budgets and accounts', () => {
  const ctx = serverAndBrowser()

  it('draws usage from real runs, and a budget edited in the page decides whether a run may start', async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'Costly reviewer', prompt_template: '{message}' }),
    })
    assert.equal(created.status, 201)
    const trigger = created.body.trigger_id
    assert.equal((await runToEnd(ctx.server, trigger, 'cost=0.3 tokens=200/50')).status, 'success')
    assert.equal((await runToEnd(ctx.server, trigger, 'cost=0.2 tokens=100/20 exit=3')).status, 'failed')

    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/usage')
    const byTrigger = page.getByTestId('chart-cost-trigger')
    // Drawn on a canvas by Chart.js; its values are in the table under it.
    await byTrigger.locator('canvas').waitFor()
    const drawn = await byTrigger.locator(`tr[data-series="${trigger}"]`).evaluateAll((rows) => rows.map((r) => Number(r.dataset.value)))
    assert.equal(drawn.length, 1, 'both runs were today')
    assert.ok(Math.abs(drawn[0] - 0.5) < 1e-9, `drawn ${drawn}`)
    // Names, not ids, in the values table (and in the legend and tooltips drawn from the same data).
    await byTrigger.getByText('Values').click()
    assert.match(await byTrigger.locator(`tr[data-series="${trigger}"]`).textContent(), /Costly reviewer/)
    assert.equal(await page.getByTestId('chart-cost-backend').locator('tr[data-series="backend-claude"]').count(), 1)
    const statuses = await page.getByTestId('chart-status').locator('tr[data-series]').evaluateAll((rows) => rows.map((r) => r.dataset.series).sort())
    assert.deepEqual(statuses, ['failed', 'success'])
    // Drawn at its real size: the canvas is as wide as its card, not squeezed.
    const canvas = await page.getByTestId('chart-status').locator('canvas').boundingBox()
    const card = await page.getByTestId('chart-status').boundingBox()
    assert.ok(canvas.width > card.width - 60 && canvas.width <= card.width, `${canvas.width} in ${card.width}`)
    const tokens = await page.getByTestId('chart-tokens').locator('tr[data-series]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.value)))
    assert.deepEqual(tokens.sort((a, b) => a - b), [70, 300])
    assert.match(await page.getByTestId('usage-totals').textContent(), /\$0\.50 spent\s*2 runs/)

    // A hard limit below today's spend: the banner appears and the next run is refused.
    await page.getByRole('link', { name: 'Budgets' }).last().click()
    const form = page.getByTestId('new-budget')
    await form.getByLabel('Covers').selectOption('trigger')
    await form.getByLabel('Which').selectOption(trigger)
    await form.getByLabel('Period').selectOption('daily')
    await form.getByLabel('Hard limit ($)').fill('0.4')
    await form.getByRole('button', { name: 'Add budget' }).click()
    const row = page.getByTestId('budgets').locator('tbody tr').first()
    await row.getByTestId('budget-level').filter({ hasText: 'exceeded' }).waitFor()
    assert.equal((await row.getByTestId('budget-spent').textContent()).trim(), '$0.50')
    const banner = page.getByTestId('budget-banner')
    await banner.filter({ hasText: 'hard budget limit' }).waitFor()
    // Which limit of which scope, by name, linked to that budget.
    assert.match(await banner.textContent(), /the trigger budget of Costly reviewer: \$0\.50 spent of its hard limit \$0\.40 today/)
    assert.equal(await banner.locator('li[data-level=exceeded] a').getAttribute('href'), `/budgets#budget-${(await ctx.server.api('/admin/budgets')).body.budgets[0].id}`)
    // Run says beforehand that a budget would refuse the run.
    await page.goto(ctx.server.url + '/triggers')
    await page.locator('tr[data-trigger-name="Costly reviewer"]').getByRole('button', { name: 'Run Costly reviewer' }).click()
    await page.getByTestId('run-refused').filter({ hasText: 'A budget would refuse this run.' }).waitFor()
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'run-message', 'focus moved into the panel')
    await page.keyboard.press('Escape')
    await page.getByTestId('run-panel').waitFor({ state: 'detached' })
    // Dismissed, the banner stays away in this tab until another limit is crossed.
    await banner.getByRole('button', { name: /^Dismiss/ }).click()
    await banner.waitFor({ state: 'detached' })
    await page.reload()
    await page.getByRole('heading', { name: 'Triggers' }).first().waitFor()
    assert.equal(await banner.count(), 0)
    await page.goto(ctx.server.url + '/budgets')
    const blocked = await runToEnd(ctx.server, trigger, 'cost=0.1')
    assert.equal(blocked.status, 'budget_blocked')
    assert.match(blocked.error_message, /hard limit \$0\.40/)

    // Raising it in the page lets the next run start.
    await row.getByLabel('Hard limit of Costly reviewer', { exact: false }).fill('5')
    await row.getByRole('button', { name: 'Save' }).click()
    await row.getByTestId('budget-level').filter({ hasText: 'ok' }).waitFor()
    assert.equal((await runToEnd(ctx.server, trigger, 'cost=0.1')).status, 'success')
    // A refused edit says why, and changes nothing.
    await row.getByLabel('Hard limit of Costly reviewer', { exact: false }).fill('-2')
    await row.getByRole('button', { name: 'Save' }).click()
    await row.getByText('hard_limit_usd: must be more than 0').waitFor()
    assert.equal((await ctx.server.api('/admin/budgets')).body.budgets[0].hard_limit_usd, 5)
    await page.goto(ctx.server.url + '/triggers')
    await page.getByRole('heading', { name: 'Triggers' }).first().waitFor()
    assert.equal(await page.getByTestId('budget-banner').count(), 0, 'no budget is over a limit any more')

    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [])
  })

  it('shows an account rate-limited by a run and clears it', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/accounts')
    const form = page.getByTestId('new-account')
    await form.getByLabel('Backend', { exact: true }).selectOption('backend-claude')
    await form.getByLabel('Name').fill('team a')
    await form.getByLabel('Config directory').fill('relative/dir')
    await form.getByRole('button', { name: 'Add account' }).click()
    await form.getByText('config_dir: must be an absolute path').waitFor()
    await form.getByLabel('Config directory').fill('')
    await form.getByLabel('Default for the backend').check()
    await form.getByRole('button', { name: 'Add account' }).click()
    const row = page.getByTestId('accounts').locator('tbody tr', { hasText: 'team a' })
    await row.getByText('available').waitFor()

    const created = await ctx.server.api('/admin/triggers', { method: 'POST', body: JSON.stringify({ name: 'Limited bot', prompt_template: '{message}' }) })
    const waiting = await runToEnd(ctx.server, created.body.trigger_id, 'rate_limit retry_after=3600')
    assert.equal(waiting.status, 'rate_limited')
    assert.ok(waiting.next_attempt_at, 'a waiting run has its next attempt time')

    // The run's page says it waits, for how long and on which account, in amber, not as an error.
    await page.goto(`${ctx.server.url}/executions/${waiting.execution_id}`)
    const card = page.getByTestId('run-waiting')
    await card.waitFor()
    assert.match(await page.getByTestId('run-status').textContent(), /waiting for limit reset/)
    assert.match(await page.getByTestId('run-countdown').textContent(), /^in (1 h 00 min|59 min \d\d s)$/)
    // The account by name, once its lookup is back.
    await card.getByTestId('run-waiting-account').filter({ hasText: /^\s*team a\s*$/ }).waitFor()
    assert.equal(await page.getByTestId('run-error').count(), 0, 'waiting is not an error')
    assert.match(await card.textContent(), /attempt 1 of 5/)
    // "Try now" runs it at once: still limited, it waits again, one attempt further.
    await card.getByRole('button', { name: 'Try now' }).click()
    await card.filter({ hasText: 'attempt 2 of 5' }).waitFor()
    assert.equal((await ctx.server.api(`/admin/executions/${waiting.execution_id}`)).body.rate_limit_attempts, 2)
    // Cancelled, so that clearing the limit below does not wake it again.
    await ctx.server.api(`/admin/executions/${waiting.execution_id}/cancel`, { method: 'POST' })
    await page.goto(ctx.server.url + '/accounts')
    await row.getByText('limited', { exact: true }).waitFor()
    assert.match(await row.getByTestId('rate-limit').textContent(), /rate_limit_error/)
    await row.getByRole('button', { name: 'Clear' }).click()
    await row.getByText('available').waitFor()
    const accounts = (await ctx.server.api('/admin/accounts')).body.accounts
    assert.equal(accounts[0].is_rate_limited, false)
    assert.equal(accounts[0].rate_limit_hits, 1, 'the second pass skipped the limited account without running it')

    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [])
  })
})
