// The dashboard shell in a real browser against the real server.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser, openPage, serverAndBrowser, signIn } from './browser.mjs'
import { startServer, webDir } from './server.mjs'

const sections = ['Triggers', 'Executions', 'Deliveries', 'PR Reviews', 'Workflows', 'Teams', 'Agents', 'MCP Servers', 'Skills', 'Commands', 'Hooks', 'Rules', 'Plugins', 'Roadmaps', 'Sessions', 'Playground', 'Usage', 'Budgets', 'Notifications', 'Backends', 'Workers', 'Accounts', 'API keys', 'Audit', 'Settings']

describe('dashboard shell', () => {
  const ctx = serverAndBrowser()

  it('loads with no console errors and shows the navigation', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.waitForURL(ctx.server.url + '/triggers')
    assert.equal(await page.locator('h1').textContent(), 'Triggers')
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()
    assert.deepEqual(links.map((l) => l.trim()), sections)
    await page.locator('[data-testid=health][data-state=ok]').waitFor()
    mkdirSync(join(webDir, 'test-results'), { recursive: true })
    await page.screenshot({ path: join(webDir, 'test-results/shell.png') })
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('navigates between sections and deep links load directly', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    for (const section of sections) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: section }).click()
      const path = '/' + section.toLowerCase().replace(' ', '-')
      await page.waitForURL(ctx.server.url + path)
      assert.equal(await page.locator('h1').textContent(), section)
      assert.equal(await page.title(), `${section} · Agented`)
    }
    await page.goBack()
    await page.waitForURL(ctx.server.url + '/audit')
    await page.goto(ctx.server.url + '/roadmaps')
    assert.equal(await page.locator('h1').textContent(), 'Roadmaps')
    await page.goto(ctx.server.url + '/no/such/page')
    assert.equal(await page.locator('h1').textContent(), 'Page not found')
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('has no inline script, so a strict Content-Security-Policy can be set', async () => {
    const res = await fetch(ctx.server.url + '/')
    const csp = res.headers.get('content-security-policy')
    assert.match(csp, /script-src 'self'/)
    const html = await res.text()
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
    assert.ok(scripts.length > 0, 'the page loads its bundle')
    for (const tag of scripts) assert.match(tag, /\ssrc="\/assets\//, `inline or foreign script: ${tag}`)
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers')
  })

  it('runs under the Content-Security-Policy without violations, docs included', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/api-keys')
    await page.getByTestId('keys-table').waitFor()
    await page.goto(ctx.server.url + '/docs/')
    await page.locator('.swagger-ui').first().waitFor()
    await page.getByText('Agented API').first().waitFor()
    assert.deepEqual(errors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [])
    await page.close()
  })

  it('settings shows the ctx.server readiness from the API', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(ctx.server.url + '/settings')
    await page.getByTestId('settings-readiness').filter({ hasText: 'ok' }).waitFor()
    assert.match(await page.getByTestId('component-queue').textContent(), /^ok .*pending jobs: \d+/)
    assert.match(await page.getByTestId('component-runner').textContent(), /ok · running: 0/)
    assert.deepEqual(errors, [])
    await page.close()
  })
})

describe('health indicator', () => {
  it('shows the server ready, then unreachable once it stops', async () => {
    const server = await startServer()
    const browser = await launchBrowser()
    try {
      const { page } = await openPage(browser)
      await signIn(page, server.url, server.adminKey)
      const indicator = page.getByTestId('health')
      await page.locator('[data-testid=health][data-state=ok]').waitFor()
      assert.equal((await indicator.textContent()).trim(), 'Server ready')
      await server.stop()
      await indicator.click()
      await page.locator('[data-testid=health][data-state=unreachable]').waitFor({ timeout: 15_000 })
      assert.equal((await indicator.textContent()).trim(), 'Server unreachable')
    } finally {
      await browser.close()
      await server.stop()
    }
  })
})
