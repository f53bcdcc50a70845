// Markdown written by bots, rendered for the dashboard. Raw HTML in it is shown
// as text, never parsed (so no handler in it is even looked at), and the
// result is sanitised by DOMPurify as a second guard.
import DOMPurify from 'dompurify'
import { Marked } from 'marked'

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] ?? c)
}

const markdown = new Marked({
  gfm: true,
  renderer: {
    html({ text }) {
      return escapeHtml(text)
    },
  },
})

/** Markdown as HTML safe to put in the page. */
export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(markdown.parse(text, { async: false }), { USE_PROFILES: { html: true } })
}

/** The HTML marked makes of `text`, before sanitising (for tests). */
export function markdownHtml(text: string): string {
  return markdown.parse(text, { async: false })
}
