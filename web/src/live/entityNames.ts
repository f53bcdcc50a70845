// Names of triggers, backends and accounts by id, for pages that would
// otherwise show ids. Read once per page change at most; ids stay when a
// lookup fails.
import { ref } from 'vue'
import { listBackends } from '../api/backends'
import { listAccounts } from '../api/orchestration'
import { listTriggers } from '../api/triggers'

export const entityNames = ref<ReadonlyMap<string, string>>(new Map())
let loading: Promise<void> | null = null

export function loadEntityNames(): Promise<void> {
  loading ??= (async () => {
    const [triggers, backends, accounts] = await Promise.all([
      listTriggers().catch(() => []),
      listBackends().catch(() => []),
      listAccounts().catch(() => []),
    ])
    entityNames.value = new Map<string, string>([
      ...triggers.map((t): [string, string] => [t.id, t.name]),
      ...backends.map((b): [string, string] => [b.id, b.name]),
      ...accounts.map((a): [string, string] => [a.id, a.name]),
    ])
  })().finally(() => {
    loading = null
  })
  return loading
}
