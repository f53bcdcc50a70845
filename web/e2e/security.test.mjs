// Signing in, API keys and the audit trail in a real browser.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('sign-in', () => {
  const ctx = serverAndBrowser()

  it('sends a visitor without a key to sign-in, then back where they were going', async () => {
    const { page } = await openPage(ctx.browser)
    await page.goto(ctx.server.url + '/audit')
    await page.waitForURL(/\/sign-in\?redirect=(%2F|\/)audit$/)
    await page.getByLabel('API key').fill(ctx.server.adminKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(ctx.server.url + '/audit')
    assert.match(await page.getByTestId('signed-in-as').textContent(), /admin/)
    await page.close()
  })

  it('shows an error for a wrong key and stays on sign-in', async () => {
    const { page } = await openPage(ctx.browser)
    await page.goto(ctx.server.url + '/sign-in')
    await page.getByLabel('API key').fill('agd_this-is-not-a-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    assert.match(await alert.textContent(), /not accepted/)
    assert.equal(new URL(page.url()).pathname, '/sign-in')
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0, 'a refused key is not kept')
    await page.close()
  })

  it('signs out, and keeps the key only in this tab unless remembered', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    assert.equal(await page.evaluate(() => localStorage.length), 0)
    await page.getByTestId('sign-out').click()
    await page.waitForURL(ctx.server.url + '/sign-in')
    await page.goto(ctx.server.url + '/triggers')
    await page.waitForURL(/\/sign-in/)
    await signIn(page, ctx.server.url, ctx.server.adminKey, { remember: true })
    assert.equal(await page.evaluate(() => localStorage.getItem('agented.apiKey')), ctx.server.adminKey)
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('returns to sign-in with a message when the key is revoked mid-session', async () => {
    const created = await ctx.server.api('/admin/api-keys', { method: 'POST', body: JSON.stringify({ name: 'soon revoked', scope: 'admin' }) })
    assert.equal(created.status, 201)
    const { page } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, created.body.key)
    // Wait on a page that never refreshes by itself, so the click below is what meets the revoked key
    // (the triggers page refreshes every few seconds and could find out first).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click()
    await page.getByTestId('keys-table').waitFor()
    assert.equal((await ctx.server.api(`/admin/api-keys/${created.body.id}`, { method: 'DELETE' })).status, 200)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click()
    await page.waitForURL(/\/sign-in\?reason=expired/)
    assert.match(await page.getByRole('status').first().textContent(), /refused your API key/)
    await page.close()
  })
})

describe('API keys and audit pages', () => {
  const ctx = serverAndBrowser()

  it('creates a key shown once, revokes it, and shows both in the audit trail', async () => {
    const { page, errors } = await openPage(ctx.browser)
    page.on('dialog', (dialog) => dialog.accept())
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/api-keys')
    await page.getByLabel('Name').fill('release pipeline')
    await page.getByLabel('Scope').selectOption('read')
    await page.getByRole('button', { name: 'Create key' }).click()
    const shown = page.getByTestId('created-key')
    await shown.waitFor()
    const key = await page.getByLabel('The new API key').inputValue()
    assert.match(key, /^agd_[0-9a-f]{48}$/)
    assert.ok(await shown.getByRole('button', { name: 'Copy' }).isVisible())
    const row = page.locator('tr[data-key-name="release pipeline"]')
    await row.waitFor()
    assert.doesNotMatch(await page.getByTestId('keys-table').textContent(), new RegExp(key.slice(12)), 'the table shows only the prefix')
    await page.getByRole('button', { name: 'I have stored it' }).click()
    assert.equal(await shown.count(), 0, 'the key is gone once dismissed')

    await row.getByRole('button', { name: 'Revoke' }).click()
    await row.locator('td.revoked').waitFor()

    const duplicate = page.getByLabel('Name')
    await duplicate.fill('release pipeline')
    await page.getByRole('button', { name: 'Create key' }).click()
    assert.match(await page.getByRole('alert').textContent(), /already exists/)

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click()
    const table = page.getByTestId('audit-table')
    // Actions in words, the raw action on hover, and the entity linked to its page.
    await table.getByText('Revoked API key').waitFor()
    const text = await table.textContent()
    assert.match(text, /Created API key/)
    assert.match(text, /failure \(409\)/)
    assert.equal(await table.locator('td[title="api_key.revoke"]').count(), 1)
    assert.ok((await table.getByRole('link', { name: /^key_/ }).count()) >= 2, 'the keys link to the API keys page')
    assert.doesNotMatch(text, /stream/i, 'stream tokens change nothing and are not audited')
    await page.getByLabel('Outcome').selectOption('failure')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/\/audit\?outcome=failure$/)
    await page.waitForFunction(() => !document.querySelector('[data-testid=audit-table]').textContent.includes('Revoked API key'))
    assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [])
    await page.close()
  })
})

describe('read keys', () => {
  const ctx = serverAndBrowser()

  it('shows a read key no action it may not take, and says why', async () => {
    const key = await ctx.server.api('/admin/api-keys', { method: 'POST', body: JSON.stringify({ name: 'read only', scope: 'read' }) })
    const trigger = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'looked at', trigger_source: 'webhook', prompt_template: 'lines=1' }),
    })
    const run = await ctx.server.api(`/admin/triggers/${trigger.body.trigger_id}/run`, { method: 'POST', body: '{}' })
    assert.equal(run.status, 202)
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, key.body.key)
    await page.getByTestId('read-only-note').waitFor()
    // Visible controls by the names a person (or a screen reader) would look for.
    const visible = async (role, name) => {
      const all = await page.getByRole(role, { name }).all()
      const shown = await Promise.all(all.map((el) => el.isVisible()))
      return shown.filter(Boolean).length
    }
    const row = page.locator('tr[data-trigger-name="looked at"]')
    await row.waitFor()
    assert.equal(await visible('link', 'New trigger'), 0)
    assert.equal(await visible('button', /^Run /), 0)
    assert.equal(await visible('button', /^Delete /), 0)
    assert.equal(await visible('link', /^History of looked at$/), 1, 'reading stays')

    await row.getByRole('link', { name: 'looked at', exact: true }).click()
    await page.getByTestId('webhook-setup').waitFor()
    for (const [role, name] of [['button', 'Run looked at'], ['link', 'Edit'], ['button', 'Generate a new secret'], ['button', 'Preview'], ['button', /^Check$/]]) {
      assert.equal(await visible(role, name), 0, `${role} ${name}`)
    }
    assert.equal(await visible('button', 'Copy'), 1, 'copying the example is reading')

    await page.goto(`${ctx.server.url}/executions/${run.body.execution_id}`)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.equal(await visible('button', 'Run again'), 0)
    assert.equal(await visible('button', 'Cancel'), 0)

    for (const [path, name] of [['/accounts', 'Add account'], ['/budgets', 'Add budget']]) {
      await page.goto(ctx.server.url + path)
      await page.getByRole('heading', { level: 1 }).waitFor()
      assert.equal(await visible('button', name), 0, name)
    }
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('states the risk of remembering a key before the user chooses it', async () => {
    const { page } = await openPage(ctx.browser)
    await page.goto(ctx.server.url + '/sign-in')
    assert.match(await page.getByTestId('remember-risk').textContent(), /local storage.*any script/s)
    await page.close()
  })

  it('watch a run live: a read key mints the stream token and follows the log to the end', async () => {
    const key = await ctx.server.api('/admin/api-keys', { method: 'POST', body: JSON.stringify({ name: 'viewer', scope: 'read' }) })
    assert.equal(key.status, 201)
    const trigger = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'watched', prompt_template: 'watch {message} lines=12 delay_ms=150' }),
    })
    assert.equal(trigger.status, 201)
    const run = await ctx.server.api(`/admin/triggers/${trigger.body.trigger_id}/run`, { method: 'POST', body: JSON.stringify({ message: 'me' }) })
    assert.equal(run.status, 202)

    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, key.body.key)
    await page.goto(`${ctx.server.url}/executions/${run.body.execution_id}?view=raw`)
    // Lines arrive while the run is still running, through the stream the read key opened.
    await page.waitForFunction(() => {
      const status = document.querySelector('[data-testid=run-status]')?.textContent?.trim()
      return status === 'running' && document.querySelectorAll('[data-testid=log-viewer] .log-line').length >= 2
    })
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.equal((await page.getByTestId('connection').textContent()).trim(), 'ended')
    assert.deepEqual(errors, [])
    await page.close()
  })
})
