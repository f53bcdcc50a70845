// The schedule part of the trigger form: the next runs as the server computes
// them while editing, errors next to their fields, and the saved next run.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('scheduled triggers', () => {
  const ctx = serverAndBrowser()

  it('previews the next runs while editing, refuses a bad cron next to its field, and shows the saved next run', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/triggers/new')
    await page.getByLabel('Name').fill('nightly report')
    await page.getByLabel('Prompt').fill('Summarise yesterday')
    await page.getByLabel('Started by').selectOption('scheduled')
    await page.getByTestId('schedule-settings').waitFor()

    // 09:00 in Tokyo is midnight UTC, whatever zone the browser is in.
    await page.getByLabel('At (HH:MM)').fill('09:00')
    await page.getByLabel('Time zone').fill('Asia/Tokyo')
    const preview = page.getByTestId('schedule-preview')
    await preview.locator('li[data-at$="T00:00:00Z"]').first().waitFor()
    assert.equal(await preview.locator('li').count(), 5)
    const days = await preview.locator('li').evaluateAll((items) => items.map((li) => li.dataset.at))
    assert.ok(days.every((d) => d.endsWith('T00:00:00Z')), days.join(', '))

    // Weekly on a chosen day: every preview falls on that weekday in Tokyo.
    await page.getByLabel('Repeats').selectOption('weekly')
    await page.getByLabel('On', { exact: true }).selectOption({ label: 'Friday' })
    await preview.locator('li').first().waitFor()
    await page.waitForFunction(() => {
      const at = [...document.querySelectorAll('[data-testid=schedule-preview] li')].map((li) => li.dataset.at)
      // Friday 09:00 in Tokyo is Friday 00:00 UTC.
      return at.length === 5 && at.every((t) => new Date(t).getUTCDay() === 5)
    })

    // A bad cron pattern: the preview says why, and so does the form on save.
    await page.getByLabel('Repeats').selectOption('cron')
    await page.getByLabel('Cron expression').fill('61 * * * *')
    await page.getByTestId('schedule-preview-error').waitFor()
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.getByTestId('schedule-settings').locator('.field-error').first().waitFor()

    await page.getByLabel('Cron expression').fill('*/15 * * * *')
    await page.getByLabel('Time zone').fill('UTC')
    await page.waitForFunction(() => {
      const at = [...document.querySelectorAll('[data-testid=schedule-preview] li')].map((li) => li.dataset.at)
      return at.length === 5 && at.every((t) => [0, 15, 30, 45].includes(new Date(t).getUTCMinutes()))
    })
    await page.getByLabel('After downtime, run once for the slots missed (otherwise they are skipped)').check()
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')

    const row = page.locator('tr[data-trigger-name="nightly report"]')
    await row.waitFor()
    assert.doesNotMatch(await row.getByTestId('next-run').textContent(), /none/)
    const list = await ctx.server.api('/admin/triggers')
    const created = list.body.triggers.find((t) => t.name === 'nightly report')
    assert.equal(created.schedule_type, 'cron')
    assert.equal(created.schedule_cron, '*/15 * * * *')
    assert.equal(created.catch_up, true)
    assert.ok(created.next_run_at, 'next_run_at is set')
    assert.equal(new Date(created.next_run_at).getUTCMinutes() % 15, 0)

    // The trigger's page shows when it runs next; editing shows the saved next run and keeps the settings.
    await row.getByRole('link', { name: 'nightly report', exact: true }).click()
    await page.getByTestId('overview-next-run').waitFor()
    assert.doesNotMatch(await page.getByTestId('overview-next-run').textContent(), /none/)
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.getByTestId('saved-next-run').waitFor()
    assert.equal(await page.getByLabel('Cron expression').inputValue(), '*/15 * * * *')
    assert.doesNotMatch(await page.getByTestId('saved-next-run').textContent(), /none/)
    await page.getByLabel('Enabled').uncheck()
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${ctx.server.url}/triggers/${created.id}`)
    await page.getByTestId('overview-next-run').filter({ hasText: 'none scheduled' }).waitFor()
    await page.getByRole('link', { name: 'Triggers' }).first().click()
    await row.getByTestId('next-run').filter({ hasText: 'none' }).waitFor()
    // The browser logs the refused bad cron (422) itself; nothing else may go wrong.
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [])
    await page.close()
  })
})
