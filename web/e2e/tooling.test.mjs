// MCP servers in a real browser: a stdio server added on the page passes its test with
// its tools listed (the test support crate's fake MCP server), a preset is added, and the
// server, attached to a trigger on its form, shows in the trigger's tooling preview, is
// given to a run (fake-bot prints the configuration it found) and listed on the execution.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
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

    // Attached to a new trigger on its form.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Triggers' }).click()
    await page.getByRole('link', { name: 'New trigger' }).click()
    await page.getByLabel('Name').fill('with tools')
    await page.getByLabel('Prompt').fill('mcp {message}')
    await page.getByLabel('Give fake to runs').check()
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    const trigger = page.locator('tr[data-trigger-name="with tools"]')
    await trigger.getByRole('link', { name: 'with tools', exact: true }).first().click()

    // The preview shows what each CLI would get.
    const preview = page.getByTestId('tooling-preview')
    await preview.filter({ hasText: 'claude-mcp.json' }).waitFor()
    const claude = await preview.textContent()
    assert.match(claude, /Runs get\s*fake\s*\./)
    assert.ok(claude.includes('--strict-mcp-config --mcp-config <run>/claude-mcp.json'), claude)
    assert.ok(claude.includes(`"command": ${JSON.stringify(fakeMcp)}`), claude)
    await preview.getByLabel('As given to').selectOption('codex')
    await preview.filter({ hasText: 'mcp_servers.fake=' }).waitFor()

    // A run gets it, and its execution lists it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Triggers' }).click()
    await trigger.getByRole('button', { name: 'Run' }).click()
    await page.getByLabel(/^Message/).fill('please')
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/executions\/exec-[\w-]+$/)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.equal((await page.getByTestId('run-tooling').textContent()).trim(), 'fake')
    await page.getByRole('tab', { name: 'Raw log' }).click()
    const log = page.getByTestId('log-viewer')
    await log.filter({ hasText: 'mcp=' }).waitFor()
    // claude's record carries fake-bot's line as JSON text, quotes escaped.
    assert.match(await log.textContent(), /mcp=\{\\"file\\":\{\\"mcpServers\\":\{\\"fake\\".*\\"strict\\":true\}/)

    // An agent gets it on its form too, and can lose it again in its row.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click()
    const form = page.locator('form').filter({ hasText: 'New agent' })
    await form.getByLabel('Name').fill('tooled')
    await form.getByLabel('Give fake to runs').check()
    await form.getByRole('button', { name: 'Create agent' }).click()
    const agent = page.locator('tr[data-agent-name="tooled"]')
    await agent.locator('summary').filter({ hasText: 'fake' }).waitFor()
    await agent.locator('summary').click()
    await agent.getByLabel('Give fake to runs').uncheck()
    await agent.getByRole('button', { name: 'Save tooling' }).click()
    await agent.locator('summary').filter({ hasText: 'none' }).waitFor()
    assert.deepEqual(errors, [])
  })

  it('writes a rule with a preview, versions it, and a run of a trigger it is attached to gets it', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    const nav = page.getByRole('navigation', { name: 'Main' })
    await nav.getByRole('link', { name: 'Rules' }).click()
    await page.getByRole('heading', { level: 1, name: 'Rules' }).waitFor()
    await page.getByLabel('Name').fill('house-style')
    await page.getByLabel(/^Instructions/).fill('**Never** push to main.')
    await page.getByRole('button', { name: 'Preview' }).click()
    assert.equal(await page.getByTestId('item-preview').locator('strong').textContent(), 'Never')
    await page.getByRole('button', { name: 'Add rule' }).click()
    const row = page.locator('tr[data-item="house-style"]')
    await row.filter({ hasText: 'v1' }).waitFor()
    await row.getByRole('button', { name: 'Edit' }).click()
    await page.getByRole('button', { name: 'Write' }).click()
    await page.getByLabel(/^Instructions/).fill('**Never** push to main. Run the tests.')
    await page.getByRole('button', { name: 'Save as a new version' }).click()
    await row.filter({ hasText: 'v2' }).waitFor()

    // A skill with a file of its own, and a skill without its required description refused.
    await nav.getByRole('link', { name: 'Skills' }).click()
    await page.getByRole('heading', { level: 1, name: 'Skills' }).waitFor()
    await page.getByLabel('Name').fill('Bad Name')
    await page.getByLabel('Description').fill('Reviews diffs')
    await page.getByLabel(/^SKILL.md/).fill('Review the diff.')
    await page.getByRole('button', { name: 'Add skill' }).click()
    await page.getByRole('alert').filter({ hasText: 'lowercase letters' }).waitFor()
    await page.getByLabel('Name').fill('review')
    await page.getByRole('button', { name: 'Add a file' }).click()
    await page.getByLabel('Path of file 1').fill('scripts/check.sh')
    await page.getByLabel('Content of file 1').fill('echo ok')
    await page.getByRole('button', { name: 'Add skill' }).click()
    await page.locator('tr[data-item="review"]').waitFor()

    // Attached on a trigger's form; its preview and a run show them.
    await nav.getByRole('link', { name: 'Triggers' }).click()
    await page.getByRole('link', { name: 'New trigger' }).click()
    await page.getByLabel('Name').fill('with rules')
    await page.getByLabel('Prompt').fill('given {message}')
    await page.getByLabel('Give house-style to runs').check()
    await page.getByLabel('Give review to runs').check()
    await page.getByRole('button', { name: 'Create trigger' }).click()
    await page.waitForURL(ctx.server.url + '/triggers')
    const trigger = page.locator('tr[data-trigger-name="with rules"]')
    await trigger.getByRole('link', { name: 'with rules', exact: true }).first().click()
    const preview = page.getByTestId('tooling-preview')
    await preview.filter({ hasText: 'claude-rules.md' }).waitFor()
    const claude = await preview.textContent()
    assert.ok(claude.includes('--plugin-dir <run>/claude-plugin --append-system-prompt-file <run>/claude-rules.md'), claude)
    assert.ok(claude.includes('Run the tests.'), claude)
    await nav.getByRole('link', { name: 'Triggers' }).click()
    await trigger.getByRole('button', { name: 'Run' }).click()
    await page.getByLabel(/^Message/).fill('please')
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/\/executions\/exec-[\w-]+$/)
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.equal((await page.getByTestId('run-tooling').textContent()).replace(/\s+/g, ' ').trim(), 'review , house-style')
    await page.getByRole('tab', { name: 'Raw log' }).click()
    const log = page.getByTestId('log-viewer')
    await log.filter({ hasText: 'given=' }).waitFor()
    assert.match(await log.textContent(), /skills\/review\/scripts\/check\.sh/)
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), [], 'only the intended refusal')
  })

  it('imports a plugin from a git repository and its skill is a skill like any other', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'plugin-repo-'))
    const files = {
      '.claude-plugin/plugin.json': '{"name": "review-kit", "version": "1.0.0", "description": "Review tools"}\n',
      'skills/kit-review/SKILL.md': '---\nname: kit-review\ndescription: Reviews diffs\n---\nReview.\n',
      'commands/kit-explain.md': 'Explain $ARGUMENTS\n',
      'agents/helper.md': 'Help.\n',
    }
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, path)), { recursive: true })
      writeFileSync(join(repo, path), text)
    }
    const git = (...args) => execFileSync('git', args, { cwd: repo })
    git('init', '-q', '-b', 'main')
    git('add', '.')
    git('-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'kit')

    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    const nav = page.getByRole('navigation', { name: 'Main' })
    await nav.getByRole('link', { name: 'Plugins' }).click()
    await page.getByRole('heading', { level: 1, name: 'Plugins' }).waitFor()
    await page.getByLabel('Repository URL').fill(`file://${repo}`)
    await page.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('plugin-imported').filter({ hasText: 'Imported review-kit.' }).waitFor()
    const row = page.locator('tr[data-plugin="review-kit"]')
    await row.filter({ hasText: '1 other files kept' }).waitFor()
    assert.match(await row.textContent(), /skill skills\/kit-review\/SKILL\.md\s*,\s*command commands\/kit-explain\.md/)

    // Importing it again is refused, naming the plugin.
    await page.getByRole('button', { name: 'Import' }).click()
    await page.getByRole('alert').filter({ hasText: "a plugin named 'review-kit' exists" }).waitFor()

    await nav.getByRole('link', { name: 'Skills' }).click()
    await page.locator('tr[data-item="kit-review"]').filter({ hasText: 'Reviews diffs' }).waitFor()
    assert.deepEqual(errors.filter((e) => !/status of 409/.test(e)), [], 'only the intended refusal')
  })
})
