// Takes the screenshots in docs/screenshots/: the main pages at desktop and
// phone width, filled with a few runs of the fake bot. Run with
// `npm run screenshots` after `cargo build` and `npm run build`.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser, openPage, signIn } from './browser.mjs'
import { repoDir, startServer } from './server.mjs'

const out = join(repoDir, 'docs/screenshots')
mkdirSync(out, { recursive: true })
const server = await startServer()
const browser = await launchBrowser()
try {
  const api = server.api
  const review = await api('/admin/triggers', {
    method: 'POST',
    body: JSON.stringify({ name: 'PR reviewer', trigger_source: 'webhook', prompt_template: 'Review {message} tool lines=4 cost=0.0312 tokens=5200/830', match_field_path: 'event.type', match_field_value: 'review', webhook_secret: 'whsec_c2NyZWVuc2hvdA==' }),
  })
  await api('/admin/triggers', { method: 'POST', body: JSON.stringify({ name: 'Nightly dependency audit', trigger_source: 'scheduled', schedule_type: 'daily', schedule_time: '03:00', prompt_template: 'Audit lines=2' }) })
  const runs = []
  for (const message of ['the release notes', 'PR #42: cache the trigger list', 'PR #43 exit=1']) {
    runs.push((await api(`/admin/triggers/${review.body.trigger_id}/run`, { method: 'POST', body: JSON.stringify({ message }) })).body.execution_id)
  }
  for (const id of runs) await server.readStream(id, (name) => name === 'complete')
  const project = await api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'Agented' }) })
  await api(`/api/projects/${project.body.project_id}/milestones`, { method: 'POST', body: JSON.stringify({ version: 'v1.0', name: 'Scale out', goal: 'Runs on many hosts' }) })
  for (const [number, name, deps] of [['1', 'PostgreSQL store', []], ['2', 'Worker processes', ['1']], ['3', 'Worker registry page', ['2']]]) {
    await api(`/api/projects/${project.body.project_id}/phases`, { method: 'POST', body: JSON.stringify({ number, name, milestone: 'v1.0', depends_on: deps }) })
  }
  await api(`/api/projects/${project.body.project_id}/phases/1`, { method: 'PATCH', body: JSON.stringify({ status: 'complete' }) })

  const pages = [
    ['triggers', '/triggers'],
    ['trigger-overview', `/triggers/${review.body.trigger_id}`],
    ['executions', '/executions'],
    ['run-transcript', `/executions/${runs[1]}`],
    ['roadmap', `/roadmaps/${project.body.project_id}`],
    ['usage', '/usage'],
  ]
  for (const [width, height, suffix] of [[1280, 900, 'desktop'], [390, 844, 'phone']]) {
    const { page } = await openPage(browser)
    await page.setViewportSize({ width, height })
    await signIn(page, server.url, server.adminKey)
    for (const [name, path] of pages) {
      await page.goto(server.url + path)
      await page.locator('main h1').first().waitFor()
      await page.waitForLoadState('networkidle')
      await page.screenshot({ path: join(out, `${name}-${suffix}.png`) })
    }
    await page.close()
  }
  process.stdout.write(`screenshots written to ${out}\n`)
} finally {
  await browser.close()
  await server.stop()
}
