// MCP servers in a real browser: a stdio server added on the page passes its test with
// its tools listed (the test support crate's fake MCP server), and a preset is added.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'
import { repoDir } from './server.mjs'

const fakeMcp = resolve(process.env.FAKE_MCP ?? join(repoDir, 'target/debug/fake-mcp'))

describe('MCP servers', () => {
  const ctx = serverAndBrowser()

  it('adds a stdio server, tests it and sees its tools, and adds a preset', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MCP Servers' }).click()
    await page.getByRole('heading', { level: 1, name: 'MCP Servers' }).waitFor()
    await page.getByLabel('Name').fill('fake')
    await page.getByLabel('Command').fill(fakeMcp)
    await page.getByLabel(/Environment/).fill('FAKE_MCP_GREETING=hi')
    await page.getByRole('button', { name: 'Add server' }).click()
    const row = page.locator('tr[data-mcp="fake"]')
    await row.waitFor()
    await row.getByRole('button', { name: 'Test' }).click()
    const result = page.getByTestId('mcp-test')
    await result.filter({ hasText: 'fake-mcp 0.1.0 answered' }).waitFor({ timeout: 30_000 })
    assert.match(await result.textContent(), /2 tools:\s*greet — Says hi\s*add/)

    await page.getByRole('button', { name: 'Add fetch' }).click()
    await page.locator('tr[data-mcp="fetch"]').filter({ hasText: 'uvx mcp-server-fetch' }).waitFor()
    assert.equal(await page.getByRole('button', { name: 'Added' }).count(), 1)
    assert.deepEqual(errors, [])
  })
})
