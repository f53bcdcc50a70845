// Migration in a real browser: the Python Agented's database (a copy of the
// shared fixture) checked with a dry run, then imported on the Settings page,
// with its report shown; the imported triggers are on the Triggers page.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoDir } from './server.mjs'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('migration', () => {
  const ctx = serverAndBrowser()

  it('uploads the original database, shows a dry run, imports it and lists its triggers', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agented-import-')), 'agented.db')
    copyFileSync(join(repoDir, 'crates/agented_store/tests/fixtures/python-agented/agented-v010.db'), file)
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    const card = page.getByTestId('python-import')
    await card.getByRole('heading', { name: 'Import from the Python Agented' }).waitFor()

    await card.getByLabel(/Its database file/).setInputFiles(file)
    await card.getByRole('button', { name: 'Check the file' }).click()
    await card.getByTestId('import-summary').filter({ hasText: 'Dry run: nothing was written.' }).waitFor()
    const dryRow = card.getByTestId('import-tables').locator('tr', { hasText: 'execution_logs' })
    assert.match(await dryRow.innerText(), /execution_logs\s+executions\s+16\s+16\s+0\s+0/)
    const before = await ctx.server.api('/admin/triggers')
    assert.ok(!JSON.stringify(before.body).includes('Deploy Hook'), 'a dry run wrote')

    await card.getByLabel(/Dry run/).uncheck()
    await card.getByRole('button', { name: 'Import' }).click()
    await card.getByTestId('import-summary').filter({ hasText: 'Imported.' }).waitFor()
    assert.match(await card.getByTestId('import-summary').innerText(), /UTC\+09:00/)
    await card.getByText(/Not imported \(\d+ tables\)/).click()
    await card.getByText(/^projects \(2 rows\)/).waitFor()

    await card.getByRole('link', { name: 'See the triggers' }).click()
    await page.getByRole('heading', { level: 1, name: 'Triggers' }).waitFor()
    for (const name of ['Deploy Hook', 'Monthly Cost Review', 'Weekly Report (Berlin)']) {
      await page.getByText(name, { exact: true }).first().waitFor()
    }

    // A file that is not the original's database fails clearly.
    const bogus = join(mkdtempSync(join(tmpdir(), 'agented-import-')), 'notes.db')
    copyFileSync(join(repoDir, 'README.md'), bogus)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    const again = page.getByTestId('python-import')
    await again.getByLabel(/Its database file/).setInputFiles(bogus)
    await again.getByRole('button', { name: 'Check the file' }).click()
    await again.getByTestId('import-error').filter({ hasText: 'Nothing was imported' }).waitFor()
    assert.deepEqual(errors, [])
  })
})
