// `v-cards` on a table: below 640 px it reads as a list of cards, each cell
// labelled with its column's heading (copied from the table head, so the
// templates do not repeat every heading). Cells that already carry a
// `data-label` keep theirs.
import type { Directive } from 'vue'

function label(table: HTMLTableElement): void {
  table.classList.add('responsive')
  const headings = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '')
  for (const row of table.querySelectorAll('tbody tr')) {
    ;[...row.children].forEach((cell, i) => {
      const heading = headings[i]
      if (heading && !cell.hasAttribute('data-label') && !cell.hasAttribute('colspan')) cell.setAttribute('data-label', heading)
    })
  }
}

export const vCards: Directive<HTMLTableElement> = {
  mounted: label,
  updated: label,
}

declare module 'vue' {
  interface GlobalDirectives {
    vCards: typeof vCards
  }
}
