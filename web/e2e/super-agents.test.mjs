// A persistent agent in a real browser: its MEMORY set by hand, then a three-turn
// chat in which the agent (the fake bot as its CLI) remembers across turns, each
// turn resuming the last one's CLI session, with MEMORY's history growing.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openPage, serverAndBrowser, signIn } from './browser.mjs'

describe('persistent agents', () => {
  const ctx = serverAndBrowser()

  it('keeps its memory across a three-turn chat', async () => {
    const { page, errors } = await openPage(ctx.browser)
    await signIn(page, ctx.server.url, ctx.server.adminKey)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground' }).click()
    const form = page.getByTestId('new-super-agent')
    await form.getByLabel('Name').fill('Archivist')
    await form.getByRole('button', { name: 'Create agent' }).click()
    await page.waitForURL(/playground\/sa-/)

    const documents = page.getByTestId('documents')
    await documents.getByTestId('doc-MEMORY').fill('- likes tea')
    await documents.getByRole('button', { name: 'Save MEMORY' }).click()
    await documents.getByTestId('memory-history').getByText('Version 1 by').waitFor()

    const chat = page.getByTestId('chat')
    await chat.getByRole('button', { name: 'New chat' }).click()
    const replies = chat.getByTestId('chat-messages').locator('[data-role="assistant"]')
    const turn = async (text, n) => {
      await chat.getByLabel('Message').fill(text)
      await chat.getByRole('button', { name: 'Send' }).click()
      await replies.nth(n).waitFor()
      return replies.nth(n).innerText()
    }
    assert.match(await turn('remember=blue', 0), /I will remember blue\./)
    const second = await turn('remember=green', 1)
    assert.match(second, /resumed=\S+/, 'the second turn resumed the CLI session')
    const third = await turn('recall', 2)
    assert.match(third, /I remember: - likes tea - blue - green/)
    assert.equal(third.match(/resumed=(\S+)/)[1], second.match(/resumed=(\S+)/)[1], 'one CLI session throughout')

    await documents.getByTestId('memory-history').getByText(/Version 3 by turn exec-bot-super-agents-/).waitFor()
    assert.equal(await documents.getByTestId('doc-MEMORY').inputValue(), '- likes tea\n- blue\n- green')
    assert.deepEqual(errors, [])
  })
})
