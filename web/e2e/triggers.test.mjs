// The trigger form: its fallback-chain editor, and errors that say what is
// wrong, clear once fixed, and never let a value be changed silently.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('trigger form', () => {
  const ctx = serverAndBrowser()

  it('edits a fallback chain by account name and order, and the overview shows it', async () => {
    const account = async (backend, name) => {
      const res = await ctx.server.api(`/admin/backends/${backend}/accounts`, { method: 'POST', body: JSON.stringify({ name }) })
      assert.equal(res.status, 201)
      return res.body.id
    }
    const team = await account('backend-claude', 'team')
    const spare = await account('backend-codex', 'spare')
    const created = await ctx.server.api('/admin/triggers', { method: 'POST', body: JSON.stringify({ name: 'chained', prompt_template: 'lines=1' }) })
    const id = created.body.trigger_id

    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/triggers/${id}/edit`)
    await page.waitForFunction(() => document.querySelector('#t-name')?.value === 'chained')
    const editor = page.getByTestId('chain-editor')
    assert.match(await editor.textContent(), /then any other free account of that backend/)

    await editor.getByRole('button', { name: 'Add a step' }).click()
    await editor.getByLabel('Step 1 backend').selectOption('backend-claude')
    await editor.getByLabel('Step 1 account').selectOption({ label: 'team' })
    await editor.getByRole('button', { name: 'Add a step' }).click()
    await editor.getByLabel('Step 2 backend').selectOption('backend-codex')
    await editor.getByLabel('Step 2 account').selectOption({ label: 'spare' })
    // What each step does, in words.
    assert.match(await editor.locator('[data-step="1"] .chain-effect').textContent(), /Tried first/)
    assert.match(await editor.locator('[data-step="2"] .chain-effect').textContent(), /when step 1 is skipped or hits a rate limit/)
    // Reorder: spare first.
    await editor.getByRole('button', { name: 'Move Codex CLI under spare up' }).click()
    assert.equal(await editor.getByLabel('Step 1 account').inputValue(), spare)
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${ctx.server.url}/triggers/${id}`)

    const saved = (await ctx.server.api(`/admin/triggers/${id}`)).body.fallback_chain
    assert.deepEqual(saved, [
      { backend_id: 'backend-codex', account_id: spare },
      { backend_id: 'backend-claude', account_id: team },
    ])
    await page.getByTestId('overview-chain').locator('li').nth(1).waitFor()
    const shown = await page.getByTestId('overview-chain').locator('li').allTextContents()
    assert.deepEqual(shown.map((t) => t.trim()), ['Codex CLI under spare', 'Claude Code under team'])

    // Removing a step and saving stores the shorter chain.
    await page.getByRole('link', { name: 'Edit' }).click()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=chain-editor] [data-step]').length === 2)
    await editor.getByRole('button', { name: 'Remove Codex CLI under spare' }).click()
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${ctx.server.url}/triggers/${id}`)
    assert.deepEqual((await ctx.server.api(`/admin/triggers/${id}`)).body.fallback_chain, [{ backend_id: 'backend-claude', account_id: team }])
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('refuses a timeout of 0 with a message, and clears each error once its field changes', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/triggers/new')
    await page.getByLabel('Name').fill('careful')
    await page.getByLabel('Prompt').fill('lines=1')
    await page.getByLabel('Timeout (seconds)').fill('0')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.getByRole('alert').filter({ hasText: 'Some fields need attention.' }).waitFor()
    assert.match(await page.locator('#t-timeout ~ .field-error').textContent(), /from 60 to 3600/)
    const listed = (await ctx.server.api('/admin/triggers')).body.triggers.map((t) => t.name)
    assert.ok(!listed.includes('careful'), 'nothing was saved')

    // The server's own refusal (an empty name), then each error goes as its field is fixed.
    await page.getByLabel('Name').fill('')
    await page.getByLabel('Timeout (seconds)').fill('120')
    assert.equal(await page.locator('#t-timeout ~ .field-error').count(), 0, 'fixed: gone before saving again')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.locator('#t-name-error').filter({ hasText: 'is required' }).waitFor()
    await page.getByLabel('Name').fill('careful')
    assert.equal(await page.locator('#t-name-error').count(), 0, 'no stale "is required"')
    assert.equal(await page.getByRole('alert').filter({ hasText: 'Some fields need attention.' }).count(), 0)
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    const saved = (await ctx.server.api('/admin/triggers')).body.triggers.find((t) => t.name === 'careful')
    assert.equal(saved.timeout_seconds, 120)
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [])
    await page.close()
  })
  it('sets the worker labels a trigger requires, refuses a bad one by name, and the overview shows them', async () => {
    const created = await ctx.server.api('/admin/triggers', { method: 'POST', body: JSON.stringify({ name: 'labelled', prompt_template: 'lines=1' }) })
    const id = created.body.trigger_id
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/triggers/${id}/edit`)
    await page.waitForFunction(() => document.querySelector('#t-name')?.value === 'labelled')
    await page.getByLabel('Worker labels').fill('gpu, gpu!')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.locator('#t-labels ~ .field-error').filter({ hasText: "'gpu!' is not a label" }).waitFor()
    await page.getByLabel('Worker labels').fill('GPU, region=eu')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${ctx.server.url}/triggers/${id}`)
    assert.equal((await page.getByTestId('overview-labels').textContent()).trim(), 'gpu, region=eu')
    assert.deepEqual((await ctx.server.api(`/admin/triggers/${id}`)).body.required_labels, ['gpu', 'region=eu'])
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [])
    await page.close()
  })
})
