// Triggers, runs and the live log viewer in a real browser, with the fake bot
// standing in for the CLIs.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'
import { webDir } from './server.mjs'

const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()

describe('triggers and runs', () => {
  const ctx = serverAndBrowser()

  it('creates a trigger, runs it, shows lines arriving live, then the final status and cost', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.waitForURL(ctx.server.url + '/triggers')

    // Pre-flight: the fake bot answers --version for all four CLIs.
    const tools = page.getByTestId('cli-tools')
    await tools.locator('li[data-backend=claude][data-ready=true]').waitFor()
    assert.match(await tools.textContent(), /claude 9\.9\.9 \(fake-bot\)/)

    // The form shows the server's message next to each invalid field.
    await page.getByRole('link', { name: 'New trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers/new')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.getByRole('alert').filter({ hasText: 'Some fields need attention.' }).waitFor()
    assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), 'true')
    assert.equal((await page.locator('#t-name-error').textContent()).trim(), 'is required')
    assert.equal(await page.getByLabel('Prompt').getAttribute('aria-invalid'), 'true')

    await page.getByLabel('Name').fill('browser review')
    await page.getByLabel('Prompt').fill('Review {message} lines=25 delay_ms=120 stderr=2 color cost=0.0421 tokens=1500/320')
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    const row = page.locator('tr[data-trigger-name="browser review"]')
    await row.getByTestId('status-badge').filter({ hasText: 'idle' }).waitFor()

    // Run with a message; the page moves to the execution and follows it.
    await row.getByRole('button', { name: 'Run' }).click()
    await page.getByLabel(/^Message/).fill('the release notes')
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/executions\/exec-[\w-]+$/)
    await page.getByRole('tab', { name: 'Raw log' }).click()

    // Lines are on screen while the run is still running: they arrived live.
    await page.waitForFunction(() => {
      const status = document.querySelector('[data-testid=run-status]')?.textContent?.trim()
      const lines = document.querySelectorAll('[data-testid=log-viewer] .log-line').length
      return status === 'running' && lines >= 3
    })
    const seenLive = await page.locator('.log-line').count()

    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    await page.getByTestId('run-cost').filter({ hasText: '$0.04' }).waitFor()
    assert.equal((await page.getByTestId('run-tokens').textContent()).trim(), '1,500 in · 320 out')
    assert.equal((await page.getByTestId('run-exit-code').textContent()).trim(), '0')
    assert.match(await page.getByTestId('run-duration').textContent(), /\d(\.\d)? s/)
    assert.equal((await page.getByTestId('connection').textContent()).trim(), 'ended')
    const total = await page.locator('.log-line').count()
    assert.ok(total > seenLive, `more lines after the live check (${seenLive} then ${total})`)
    const seqs = await page.locator('.log-line').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)))
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'every line once, in order')

    // stderr is marked, and its ANSI colour shown as colour, not escape codes.
    const warning = page.locator('.log-line.stderr').first()
    assert.equal((await warning.locator('.log-stderr').textContent()).trim(), 'err')
    assert.equal(await warning.locator('.ansi-fg-3').textContent(), 'warning 1')
    assert.doesNotMatch(await page.getByTestId('log-viewer').textContent(), /\[33m/)
    // The rendered prompt carries the message, fenced as untrusted, and the audit trail lists it.
    assert.match(await page.locator('.prompt pre').textContent(), /Review <untrusted-input-([a-z0-9]{10}) name="message">\nthe release notes\n<\/untrusted-input-\1>/)
    assert.match(await page.getByTestId('prompt-inputs').textContent(), /message: 17 characters, SHA-256 [0-9a-f]{12}/)

    // Search narrows the log.
    await page.getByLabel('Search the log').fill('line 7"')
    await page.getByTestId('log-count').filter({ hasText: `1 of ${total} lines` }).waitFor()
    assert.equal(await page.locator('.log-line').count(), 1)

    mkdirSync(join(webDir, 'test-results'), { recursive: true })
    await page.screenshot({ path: join(webDir, 'test-results/execution.png'), fullPage: true })

    // The executions list, filtered, and the trigger's badge.
    await nav(page, 'Executions')
    await page.getByLabel('Status').selectOption('failed')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.getByTestId('executions-table').getByText('No executions match.').waitFor()
    await page.getByLabel('Status').selectOption('success')
    await page.getByRole('button', { name: 'Filter' }).click()
    const listed = page.getByTestId('executions-table').locator('tbody tr[data-execution-id]')
    await listed.first().waitFor()
    assert.equal(await listed.count(), 1)
    assert.match(await listed.textContent(), /browser review.*manual.*\$0\.04/s)
    await nav(page, 'Triggers')
    await row.getByTestId('status-badge').filter({ hasText: 'success' }).waitFor()
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [])
    await page.close()
  })

  it('keeps following after the connection drops, without losing or repeating lines', async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'flaky network', prompt_template: 'lines=40 delay_ms=100' }),
    })
    assert.equal(created.status, 201)
    const run = await ctx.server.api(`/admin/triggers/${created.body.trigger_id}/run`, { method: 'POST', body: '{}' })
    assert.equal(run.status, 202)
    const id = run.body.execution_id

    // The first connection ends early, as a dropped network would: it carries
    // the lines stored so far, then the stream stops mid-run.
    let served = null
    const streams = []
    let tokens = 0
    const { page } = await openPage(ctx.browser)
    page.on('request', (req) => {
      // This run's stream only: the lists' event stream opens its own.
      if (req.url().includes(`/admin/executions/${id}/stream?`)) streams.push(new URL(req.url()))
      if (req.url().endsWith(`/admin/executions/${id}/stream-token`)) tokens += 1
    })
    await page.route('**/admin/executions/*/stream?*', async (route) => {
      if (served !== null) return route.continue()
      const lines = await ctx.server.firstLogLines(id, 5)
      served = lines.length
      const events = lines.map((l) => `event: log\nid: ${l.seq}\ndata: ${JSON.stringify(l)}\n\n`).join('')
      await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `retry: 100\n\n${events}` })
    })
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/executions/${id}?view=raw`)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    await page.locator('[data-testid=connection][data-state=closed]').waitFor()

    assert.ok(served >= 5, 'the dropped connection carried some lines')
    assert.ok(streams.length >= 2, 'the page reconnected')
    assert.equal(streams[1].searchParams.get('last_event_id'), String(served), 'it resumed after the last line it had')
    assert.equal(tokens, streams.length, 'a fresh token for each connection (the first one may have expired)')
    const seqs = await page.locator('.log-line').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)))
    const stored = (await ctx.server.api(`/admin/executions/${id}`)).body.log_lines
    assert.ok(stored > served)
    assert.deepEqual(seqs, Array.from({ length: stored }, (_, i) => i + 1), 'every line once, in order')
    await page.close()
  })

  it('reads a Claude run as a conversation: messages, a tool call with its result, and the raw lines a click away', async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'conversation', backend_type: 'claude', prompt_template: 'tool lines=2' }),
    })
    assert.equal(created.status, 201)
    const run = await ctx.server.api(`/admin/triggers/${created.body.trigger_id}/run`, { method: 'POST', body: '{}' })
    assert.equal(run.status, 202)
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/executions/${run.body.execution_id}`)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    // The trigger by name, once its lookup is back.
    await page.getByTestId('run-trigger').filter({ hasText: /^\s*conversation\s*$/ }).waitFor()

    const transcript = page.getByTestId('transcript')
    await transcript.locator('[data-kind=result]').waitFor()
    assert.match(await transcript.locator('[data-kind=session]').textContent(), /fake-model/)
    const messages = await transcript.locator('[data-kind=message] .markdown').allTextContents()
    assert.deepEqual(messages.map((m) => m.trim()), ['line 1', 'line 2'])
    // The tool call is one collapsed block; opening it shows its input and result.
    const tool = transcript.getByTestId('tool-call')
    assert.equal(await tool.count(), 1)
    assert.match(await tool.locator('summary').textContent(), /^\s*Bash\s*ls\s*$/)
    await tool.locator('summary').click()
    assert.match(await tool.locator('pre').nth(1).textContent(), /README\.md\nsrc/)
    assert.match(await transcript.locator('[data-kind=result]').textContent(), /done/)
    // Search covers tool results too.
    await page.getByLabel('Search the transcript').fill('readme')
    assert.deepEqual(await transcript.locator('.entry').evaluateAll((els) => els.map((e) => e.dataset.kind)), ['tool'])

    // The raw lines, one click away, and the choice kept in the URL.
    await page.getByRole('tab', { name: 'Raw log' }).click()
    await page.waitForURL(/view=raw/)
    const raw = await page.locator('[data-testid=log-viewer] .log-line').allTextContents()
    assert.ok(raw.some((l) => l.includes('"type":"tool_use"')), 'the tool call as printed')

    // Its timeline, and the run that retried it, linked from its page.
    assert.match(await page.getByTestId('run-timeline').textContent(), /queued .* → started .* later\s+→ ended .* after that/s)
    const again = await ctx.server.api(`/admin/executions/${run.body.execution_id}/retry`, { method: 'POST' })
    assert.equal(again.status, 202)
    await page.reload()
    await page.getByTestId('run-retries').getByRole('link', { name: again.body.execution_id }).waitFor()
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('shows the backends with their detection and checks one again', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await nav(page, 'Backends')
    const claude = page.getByTestId('backends-table').locator('tr[data-backend-id=backend-claude]')
    await claude.getByText('installed').waitFor()
    assert.match(await claude.textContent(), /claude 9\.9\.9 \(fake-bot\)/)
    await claude.getByRole('button', { name: /^Check again: / }).click()
    await claude.getByRole('button', { name: /^Check again: / }).waitFor()
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('names the worker that ran a run, and lists it on the Workers page with its capacity', async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'worker shown', prompt_template: '{message}' }),
    })
    const run = await ctx.server.api(`/admin/triggers/${created.body.trigger_id}/run`, {
      method: 'POST',
      body: JSON.stringify({ message: 'lines=1' }),
    })
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/executions/${run.body.execution_id}`)
    const worker = page.getByTestId('run-worker')
    await worker.waitFor()
    const id = (await worker.textContent()).trim()
    assert.match(id, /^wrk-[a-z0-9]{6}$/)
    await worker.getByRole('link').click()
    await page.waitForURL(ctx.server.url + '/workers')
    const row = page.getByTestId('workers-table').locator(`tr[data-worker-id="${id}"]`)
    await row.getByText('active').waitFor()
    assert.match(await row.textContent(), /of 8/)
    assert.match(await page.getByTestId('workers-summary').textContent(), /1 active worker, \d+ of 8 run slots in use/)
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('marks a cost estimated from tokens, and sets how long a run may stay silent', async () => {
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'priced codex', backend_type: 'codex', prompt_template: '{message}' }),
    })
    assert.equal(created.status, 201)
    const id = created.body.trigger_id
    const run = await ctx.server.api(`/admin/triggers/${id}/run`, {
      method: 'POST',
      body: JSON.stringify({ message: 'tokens=1000000/100000 cached=400000' }),
    })
    assert.equal(run.status, 202)
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/executions/${run.body.execution_id}`)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    // Codex reports no dollars: 600k × $1.25 + 400k cached × $0.125 + 100k out × $10 per million.
    await page.getByTestId('run-cost').filter({ hasText: '$1.80' }).waitFor()
    assert.equal((await page.getByTestId('run-cost-source').textContent()).trim(), '(estimated)')

    await page.goto(`${ctx.server.url}/triggers/${id}/edit`)
    // The form fills in once the trigger has loaded: edit only after that.
    await page.waitForFunction(() => document.querySelector('#t-name')?.value === 'priced codex')
    const silence = page.getByLabel('Stop when silent for (s)')
    assert.equal(await silence.inputValue(), '', 'unset: the server default')
    await silence.fill('45')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${ctx.server.url}/triggers/${id}`)
    assert.equal((await ctx.server.api(`/admin/triggers/${id}`)).body.stall_timeout_seconds, 45)
    await page.goto(`${ctx.server.url}/triggers/${id}/edit`)
    await page.waitForFunction(() => document.querySelector('#t-stall')?.value === '45')
    await page.getByLabel('Stop when silent for (s)').fill('')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.waitForURL(`${ctx.server.url}/triggers/${id}`)
    assert.equal((await ctx.server.api(`/admin/triggers/${id}`)).body.stall_timeout_seconds, null, 'emptied: the default again')
    assert.deepEqual(errors, [])
    await page.close()
  })
})

