import { describe, expect, it } from 'vitest'
import { escapeHtml, markdownHtml } from './markdown'

// DOMPurify needs a real browser DOM; the browser test checks the sanitised page.
describe('markdownHtml', () => {
  it('renders headings, lists and emphasis', () => {
    const html = markdownHtml('# Stack\n\n- **first** point\n- second')
    expect(html).toContain('<h1>Stack</h1>')
    expect(html).toContain('<li><strong>first</strong> point</li>')
  })

  it('shows raw HTML a bot wrote as text, block and inline', () => {
    const html = markdownHtml('<script>window.x = 1</script>\n\ninline <img src="x" onerror="window.x = 1"> here')
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;script&gt;window.x = 1&lt;/script&gt;')
    expect(html).toContain('inline &lt;img src=&quot;x&quot; onerror=&quot;window.x = 1&quot;&gt; here')
  })

  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  })
})
