// The loop back to GitHub in a real browser: a signed pull-request delivery runs the
// bot in a worktree at the pull request's head, the fake GitHub gets the check run and
// the review, and a follow-up asked on the execution page continues the CLI's session.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'
import { startFakeGithub } from './fake-github.mjs'

const TOKEN = 'ghp_e2e'
const SECRET = 'e2e-webhook-secret'

/** A bare repository whose `refs/pull/7/head` has a README saying "pr head"; its path and that commit. */
function repository(dir) {
  const git = (args, cwd) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd }).toString().trim()
  const work = join(dir, 'work')
  mkdirSync(work)
  git(['init', '--quiet'], work)
  writeFileSync(join(work, 'README.md'), 'main\n')
  git(['add', '.'], work)
  git(['commit', '--quiet', '-m', 'first'], work)
  git(['checkout', '--quiet', '-b', 'feature'], work)
  writeFileSync(join(work, 'README.md'), 'pr head\n')
  git(['commit', '--quiet', '-am', 'change'], work)
  const head = git(['rev-parse', 'HEAD'], work)
  git(['checkout', '--quiet', 'main'], work)
  const bare = join(dir, 'tools.git')
  git(['clone', '--quiet', '--bare', work, bare], dir)
  git(['update-ref', 'refs/pull/7/head', head], bare)
  return { bare, head }
}

describe('the loop back to GitHub', () => {
  let github
  const dir = mkdtempSync(join(tmpdir(), 'agented-e2e-github-'))
  before(async () => {
    github = await startFakeGithub(TOKEN)
  })
  const ctx = serverAndBrowser(() => ({
    AGENTED__GITHUB__API_URL: github.url,
    AGENTED__GITHUB__WEBHOOK_SECRET: SECRET,
    AGENTED__GITHUB__RETRY_DELAY_MS: '20',
    GITHUB_TOKEN: TOKEN,
  }))
  after(async () => {
    await github?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs a pull request, posts its check run and review, and continues its session from the execution page', async () => {
    const { bare, head } = repository(dir)
    const created = await ctx.server.api('/admin/triggers', {
      method: 'POST',
      body: JSON.stringify({
        name: 'pr reviewer', trigger_source: 'github', prompt_template: 'Review {pr_title}: {message}',
        post_result: 'review', paths: [{ github_repo_url: `file://${bare}` }],
      }),
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const payload = JSON.stringify({
      action: 'opened', number: 7,
      pull_request: { html_url: 'https://github.com/acme/tools/pull/7', number: 7, title: 'Change', user: { login: 'ann' },
                      head: { ref: 'feature', sha: head }, body: 'echo=Verdict: cat=README.md' },
      repository: { full_name: 'acme/tools', html_url: 'https://github.com/acme/tools' },
    })
    const signature = 'sha256=' + createHmac('sha256', SECRET).update(payload).digest('hex')
    const res = await fetch(ctx.server.url + '/api/webhooks/github/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'e2e-1', 'x-hub-signature-256': signature },
      body: payload,
    })
    const delivered = await res.json()
    assert.equal(res.status, 200, JSON.stringify(delivered))
    const id = delivered.executions[0].execution_id

    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.goto(`${ctx.server.url}/executions/${id}`)
    await page.getByRole('heading', { level: 1, name: 'Execution' }).waitFor()
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.match(await page.getByTestId('run-github').textContent(), new RegExp(`acme/tools\\s*#7 \\(pull request\\)\\s*at ${head.slice(0, 7)}`))
    const session = (await page.getByTestId('run-session').textContent()).trim()

    // The fake GitHub has the check run (in progress, then a success linking here) and the review.
    const [check] = [...github.state.checkRuns.values()]
    assert.deepEqual(check.history, ['in_progress', 'completed'])
    assert.equal(check.conclusion, 'success')
    assert.ok(check.details_url.endsWith(`/executions/${id}`), check.details_url)
    assert.equal(github.state.reviews.length, 1)
    assert.match(github.state.reviews[0].body, /Verdict:/)
    assert.equal(github.state.reviews[0].commit_id, head)

    // A follow-up from the page: a new run of the same session, in the pull request's worktree.
    await page.getByLabel(/Continue session/).fill('cat=README.md lines=0')
    await page.getByRole('button', { name: 'Continue the session' }).click()
    await page.waitForURL((url) => /\/executions\/exec-[\w-]+$/.test(url.pathname) && !url.pathname.endsWith(id))
    await page.getByTestId('run-status').filter({ hasText: 'success' }).waitFor({ timeout: 30_000 })
    assert.equal((await page.getByTestId('run-follows').textContent()).trim(), id)
    assert.equal((await page.getByTestId('run-session').textContent()).trim(), session)
    await page.getByRole('tab', { name: 'Raw log' }).click()
    await page.getByTestId('log-viewer').filter({ hasText: `resumed=${session}` }).waitFor()
    await page.getByTestId('log-viewer').filter({ hasText: 'pr head' }).waitFor()
    const followUp = new URL(page.url()).pathname.split('/').pop()

    // The PR Reviews page lists the pull request, open, with the bot's review kept.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'PR Reviews' }).click()
    await page.getByRole('heading', { level: 1, name: 'PR Reviews' }).waitFor()
    const row = page.locator('tr[data-pr="acme/tools#7"]')
    await row.waitFor()
    assert.match(await row.textContent(), /#7 Change\s*acme\/tools\s*ann\s*open\s*pending/)
    await page.getByTestId('pr-stats').filter({ hasText: '1 pull request: 1 open' }).waitFor()

    // Settings shows the one workspace the thread shares, last used by the follow-up, and its mirror.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
    await page.getByTestId('workspaces-usage').filter({ hasText: 'by 1 workspace and 1 repository mirror' }).waitFor()
    await page.getByTestId('workspaces').getByRole('link', { name: followUp }).waitFor()
    assert.deepEqual(errors, [])
  })
})
