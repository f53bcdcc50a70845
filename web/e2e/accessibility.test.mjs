// Every page at desktop and phone width: nothing off-screen at 390 × 844 or at
// 1024 px, and axe-core finds no serious or critical violation. Pages are
// filled first, so tables, forms and panels are checked with content.
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** Pages by path; ids are filled in once the data exists. */
const pages = (ids) => [
  '/triggers',
  `/triggers/${ids.webhook}`,
  `/triggers/${ids.webhook}/edit`,
  '/triggers/new',
  '/executions',
  `/executions/${ids.execution}`,
  `/executions/${ids.execution}?view=raw`,
  '/deliveries',
  '/pr-reviews',
  '/workflows',
  `/workflows/${ids.workflow}`,
  `/workflows/${ids.workflow}/runs/${ids.workflowRun}`,
  '/teams',
  `/teams/${ids.team}`,
  '/agents',
  '/roadmaps',
  `/roadmaps/${ids.project}`,
  '/usage',
  '/budgets',
  '/backends',
  '/workers',
  '/accounts',
  '/api-keys',
  '/audit',
  '/settings',
  '/no-such-page',
]

/** What overflows the viewport sideways: the page's width, and the widest elements past the edge. */
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth
    const past = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).position !== 'fixed')
      .filter((el) => !el.closest('.vue-flow, .visually-hidden, .skip-link'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${Math.round(el.getBoundingClientRect().right)} px)`)
    return { scrollWidth: document.documentElement.scrollWidth, width, past }
  })
}

async function serious(page) {
  await page.evaluate(axeSource)
  const result = await page.evaluate(() =>
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }),
  )
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
}

describe('every page, at desktop and phone width', () => {
  const ctx = serverAndBrowser()
  const ids = {}

  before(async () => {
    const api = ctx.server.api
    const webhook = await api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({ name: 'disk alerts', trigger_source: 'webhook', prompt_template: 'tool lines=3 {message}', match_field_path: 'event.type', match_field_value: 'alert' }),
    })
    ids.webhook = webhook.body.trigger_id
    const run = await api(`/admin/triggers/${ids.webhook}/run`, { method: 'POST', body: JSON.stringify({ message: 'a long message '.repeat(20) }) })
    ids.execution = run.body.execution_id
    await api('/admin/backends/backend-claude/accounts', { method: 'POST', body: JSON.stringify({ name: 'team account', api_key_env: 'NOT_SET_ANYWHERE' }) })
    await api('/admin/budgets', { method: 'POST', body: JSON.stringify({ scope: 'global', period: 'monthly', soft_limit_usd: 0.000001, hard_limit_usd: 100 }) })
    const project = await api('/api/projects', { method: 'POST', body: JSON.stringify({ name: 'Roadmap with phases' }) })
    ids.project = project.body.project_id
    await api(`/api/projects/${ids.project}/milestones`, { method: 'POST', body: JSON.stringify({ version: 'v1.0', name: 'First', goal: 'ship' }) })
    await api(`/api/projects/${ids.project}/phases`, { method: 'POST', body: JSON.stringify({ number: '1', name: 'Storage layer with a long name', milestone: 'v1.0' }) })
    const graph = { nodes: [{ id: 'start', type: 'trigger' }, { id: 'shout', type: 'transform', config: { transform_type: 'uppercase' } }], edges: [{ source: 'start', target: 'shout' }] }
    const workflow = await api('/admin/workflows', { method: 'POST', body: JSON.stringify({ name: 'Shout', graph_json: graph, is_draft: false }) })
    ids.workflow = workflow.body.id
    const started = await api(`/admin/workflows/${ids.workflow}/run`, { method: 'POST', body: JSON.stringify({ input_json: 'hi' }) })
    ids.workflowRun = started.body.workflow_execution_id
    const agent = await api('/admin/agents', { method: 'POST', body: JSON.stringify({ name: 'Reviewer', role: 'code reviewer' }) })
    const team = await api('/admin/teams', { method: 'POST', body: JSON.stringify({ name: 'Review crew' }) })
    ids.team = team.body.id
    await api(`/admin/teams/${ids.team}/members`, { method: 'POST', body: JSON.stringify({ agent_id: agent.body.id }) })
    await fetch(ctx.server.url + '/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event: { type: 'deploy' }, text: 'unmatched' }) })
  })

  for (const [label, viewport] of [['phone 390 × 844', { width: 390, height: 844 }], ['1024 px', { width: 1024, height: 768 }], ['desktop', { width: 1280, height: 900 }]]) {
    it(`has nothing off-screen and no serious axe violation (${label})`, async () => {
      const { page, errors } = await openPage(ctx.browser)
      await page.setViewportSize(viewport)
      await signIn(page, ctx.server.url, ctx.server.adminKey)
      const problems = []
      for (const path of pages(ids)) {
        await page.goto(ctx.server.url + path)
        await page.locator('main h1').first().waitFor()
        await page.waitForLoadState('networkidle')
        const o = await overflow(page)
        if (o.scrollWidth > o.width) problems.push(`${path}: ${o.scrollWidth} px wide in ${o.width}: ${o.past.join(', ')}`)
        for (const v of await serious(page)) problems.push(`${path}: ${v}`)
      }
      assert.deepEqual(problems, [])
      assert.deepEqual(errors.filter((e) => !/status of 40[34]/.test(e)), [])
      await page.close()
    })
  }
})
