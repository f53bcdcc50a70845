// Notifications in a real browser: a webhook notifier added on the Notifications page
// gets a run's end, and its signature checks out with the Standard Webhooks reference
// library (`standardwebhooks`); the delivery log and a test send show on the page.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

/** An endpoint on a free port that keeps every request's headers and raw body. */
async function startReceiver() {
  const received = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => (raw += chunk))
    req.on('end', () => {
      received.push({ headers: req.headers, body: raw })
      res.writeHead(204)
      res.end()
    })
  })
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready))
  const until = async (n) => {
    for (let i = 0; i < 600 && received.length < n; i++) await new Promise((r) => setTimeout(r, 50))
    assert.ok(received.length >= n, `the receiver got ${received.length} of ${n} requests`)
  }
  return { url: `http://127.0.0.1:${server.address().port}/agented`, received, until, close: () => new Promise((done) => server.close(done)) }
}

describe('notifications', () => {
  let receiver
  before(async () => {
    receiver = await startReceiver()
  })
  const ctx = serverAndBrowser(() => ({ AGENTED__NOTIFICATIONS__PUBLIC_URL: 'https://agented.example' }))
  after(async () => {
    await receiver?.close()
  })

  it('adds a webhook notifier whose signed run end verifies with the reference library, and shows its log', async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'nightly', prompt_template: '{message}' }),
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const trigger = created.body.trigger_id

    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click()
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor()
    await page.getByLabel('Name').fill('ops hook')
    await page.getByLabel('URL').fill(receiver.url)
    await page.getByLabel('Hears').selectOption({ label: 'nightly' })
    await page.getByLabel(/run\.finished/).check()
    await page.getByRole('button', { name: 'Add notifier' }).click()
    const secret = await page.getByLabel('The signing secret').inputValue()
    assert.match(secret, /^whsec_/)
    await page.locator('tr[data-notifier="ops hook"]').filter({ hasText: 'nightly' }).waitFor()

    const run = await ctx.server.api(`/admin/triggers/${trigger}/run`, { method: 'POST', body: JSON.stringify({ message: 'hello' }) })
    assert.equal(run.status, 202, JSON.stringify(run.body))
    await receiver.until(1)
    const [delivery] = receiver.received
    // The reference verifier: it throws on a bad signature or a stale timestamp.
    const event = new Webhook(secret).verify(delivery.body, delivery.headers)
    assert.equal(event.type, 'run.finished')
    assert.equal(event.data.execution_id, run.body.execution_id)
    assert.equal(event.data.trigger_name, 'nightly')
    assert.equal(event.data.url, `https://agented.example/executions/${run.body.execution_id}`)
    assert.throws(() => new Webhook(secret).verify(delivery.body.replace('nightly', 'nightlz'), delivery.headers))

    const row = page.locator('tr[data-notifier="ops hook"]')
    await row.getByRole('button', { name: 'Send test' }).click()
    const log = page.getByTestId('notifier-log')
    await log.locator('tr[data-delivery="test"]').filter({ hasText: 'delivered' }).waitFor()
    await log.locator('tr[data-delivery="run.finished"]').filter({ hasText: 'delivered' }).waitFor()
    await receiver.until(2)
    assert.equal(new Webhook(secret).verify(receiver.received[1].body, receiver.received[1].headers).type, 'test')
    assert.deepEqual(errors, [])
  })
})
