// A paged, filtered table whose filters and page live in the URL: a link or a
// reload shows the same rows. Used by Executions and Audit.
import { reactive, ref, shallowRef, type UnwrapRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { errorMessage } from '../api/client'

export interface PageOf<T> {
  rows: T[]
  total: number
}

/** `fetch` reads one page; `forbidden` is the message for a key without the scope. */
export function usePagedQuery<F extends Record<string, string>, T>(
  defaults: F,
  fetch: (filters: F, limit: number, offset: number) => Promise<PageOf<T>>,
  options: { page?: number; forbidden?: string } = {},
) {
  const route = useRoute()
  const router = useRouter()
  const page = options.page ?? 50
  const fromUrl = (name: string, fallback: string) => (typeof route.query[name] === 'string' ? (route.query[name] as string) : fallback)
  const filters = reactive(Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, fromUrl(k, v)])) as F)
  const offset = ref(Math.max(0, Number(fromUrl('offset', '0')) || 0))
  const rows = shallowRef<T[]>([])
  const total = ref(0)
  const error = ref<string | null>(null)
  const loaded = ref(false)
  let latest = 0

  /** Reads the current page (a newer call wins over an older one still in flight). */
  async function load(): Promise<void> {
    const mine = ++latest
    try {
      const got = await fetch({ ...(filters as F) }, page, offset.value)
      if (mine !== latest) return
      rows.value = got.rows
      total.value = got.total
      error.value = null
    } catch (e) {
      if (mine === latest) error.value = errorMessage(e, options.forbidden)
    } finally {
      if (mine === latest) loaded.value = true
    }
  }

  function syncUrl(): void {
    const query: Record<string, string> = {}
    for (const [k, v] of Object.entries(filters as F)) if (v && v !== defaults[k]) query[k] = v
    if (offset.value > 0) query.offset = String(offset.value)
    void router.replace({ query })
  }

  /** Applies the filters from the first page. */
  function search(): void {
    offset.value = 0
    syncUrl()
    void load()
  }

  function move(by: number): void {
    offset.value = Math.max(0, offset.value + by)
    syncUrl()
    void load()
  }

  return { filters: filters as UnwrapRef<F>, offset, rows, total, error, loaded, page, load, search, move }
}
