// Debian's Chromium driven by playwright-core (no browser download: the
// machine's /usr/bin/chromium, or CHROMIUM_PATH).
import { after, before } from 'node:test'
import { chromium } from 'playwright-core'
import { startServer } from './server.mjs'

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser) {
  const page = await browser.newPage()
  const errors = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text())
  })
  page.on('pageerror', (err) => errors.push(err.message))
  return { page, errors }
}

/** Signs in through the sign-in page and waits for the dashboard. */
export async function signIn(page, baseUrl, key, { remember = false } = {}) {
  await page.goto(baseUrl + '/sign-in')
  await page.getByLabel('API key').fill(key)
  if (remember) await page.getByLabel('Remember me on this browser').check()
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId('signed-in-as').waitFor()
}

/** Starts a server (with `env()`'s additions, read when it starts) and a browser before the
 * suite's tests, and stops both after. */
export function serverAndBrowser(env = () => ({})) {
  const ctx = { server: null, browser: null }
  before(async () => {
    ctx.server = await startServer({ env: env() })
    ctx.browser = await launchBrowser()
  })
  after(async () => {
    await ctx.browser?.close()
    await ctx.server?.stop()
  })
  return ctx
}
