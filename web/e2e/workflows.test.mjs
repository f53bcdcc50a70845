// Workflows, agents and teams in a real browser: a workflow built in the graph editor
// with an approval node, published, run and approved while its nodes turn green; and a
// team of a fake-bot agent run from its page.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

/** Opens a section and waits for its page. */
async function nav(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()
  await page.getByRole('heading', { level: 1, name }).waitFor()
}
const node = (page, id) => page.locator(`[data-node="${id}"]`)

describe('workflows, agents and teams', () => {
  const ctx = serverAndBrowser()

  it('builds a three-node workflow with an approval, runs it, approves, and sees it complete', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await nav(page, 'Workflows')
    await page.getByLabel('Name').fill('Ship it')
    await page.getByRole('button', { name: 'Create and edit' }).click()
    await page.waitForURL(/\/workflows\/wf-[\w-]+$/)

    // Each node added follows the one selected (the one added last).
    for (const kind of ['trigger', 'approval', 'transform']) {
      await page.getByLabel('Node kind').selectOption(kind)
      await page.getByRole('button', { name: 'Add node' }).click()
      await node(page, kind).waitFor()
    }
    assert.equal(await page.locator('.vue-flow__edge').count(), 2, 'start → approval → transform')
    await page.getByLabel('Config (JSON)').fill('{"transform_type": "uppercase"}')
    await page.getByRole('button', { name: 'Apply config' }).click()
    await page.getByRole('button', { name: 'Publish' }).click()
    await page.getByTestId('editor-message').filter({ hasText: 'Version 1 published' }).waitFor()
    await page.getByRole('button', { name: 'Show YAML' }).click()
    const yaml = await page.getByTestId('workflow-yaml').textContent()
    assert.match(yaml, /^kind: workflow\nname: Ship it\n/)
    assert.match(yaml, /transform_type: uppercase/)

    await page.getByLabel('Run input').fill('release v1')
    await page.getByRole('button', { name: 'Run' }).click()
    await page.waitForURL(/\/workflows\/wf-[\w-]+\/runs\/wfx-[\w-]+$/)
    // The start turns green live; the approval waits for a person.
    await page.locator('[data-node="trigger"][data-status="completed"]').waitFor()
    await page.locator('[data-node="approval"][data-status="running"]').waitFor()
    assert.equal(await node(page, 'transform').getAttribute('data-status'), 'pending')
    await node(page, 'approval').click()
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.getByTestId('workflow-run-status').filter({ hasText: 'completed' }).waitFor()
    await page.locator('[data-node="transform"][data-status="completed"]').waitFor()
    assert.equal((await page.getByTestId('run-output').textContent()).trim(), 'RELEASE V1')
    await node(page, 'approval').click()
    assert.match(await page.getByTestId('run-node-panel').textContent(), /Approved by admin/)

    // A trigger that runs the workflow: its Run button opens the workflow run.
    await nav(page, 'Triggers')
    await page.getByRole('link', { name: 'New trigger' }).click()
    await page.getByLabel('Name').fill('ship trigger')
    await page.getByLabel('Prompt').fill('ship {message}')
    await page.getByLabel('What it runs').selectOption('workflow')
    await page.getByLabel('Workflow', { exact: true }).selectOption({ label: 'Ship it' })
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    await page.locator('tr[data-trigger-name="ship trigger"]').getByRole('button', { name: 'Run' }).click()
    await page.getByLabel(/^Message/).fill('v2')
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/workflows\/wf-[\w-]+\/runs\/wfx-[\w-]+$/)
    await page.locator('[data-node="approval"][data-status="running"]').waitFor()
    await node(page, 'approval').click()
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.getByTestId('workflow-run-status').filter({ hasText: 'completed' }).waitFor()
    assert.match((await page.getByTestId('run-output').textContent()).trim(), /^SHIP .*V2/s)
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('creates an agent and a team of it, shows the graph it compiles to, and runs it', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await nav(page, 'Agents')
    await page.getByLabel('Name').fill('Ada')
    await page.getByLabel('System prompt').fill('echo=ADA: lines=0')
    await page.getByRole('button', { name: 'Create agent' }).click()
    await page.locator('tr[data-agent-name="Ada"]').waitFor()

    await nav(page, 'Teams')
    await page.getByLabel('Name').fill('Solo')
    await page.getByRole('button', { name: 'Create team' }).click()
    await page.waitForURL(/\/teams\/team-[\w-]+$/)
    await page.getByTestId('team-graph-problem').filter({ hasText: 'needs at least one member' }).waitFor()
    await page.getByLabel('Add an agent').selectOption({ label: 'Ada' })
    await page.getByRole('button', { name: 'Add member' }).click()
    await node(page, 'step_1').waitFor()
    await page.getByLabel('Task').fill('hello team')
    await page.getByRole('button', { name: 'Run the team' }).click()
    await page.waitForURL(/\/runs\/wfx-[\w-]+$/)
    await page.getByTestId('workflow-run-status').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 })
    assert.equal((await page.getByTestId('run-output').textContent()).trim(), 'ADA:hello team')
    // The graph of a team without members is a 409 with the reason shown above.
    assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [])
    await page.close()
  })
})
