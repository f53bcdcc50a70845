import { computed, ref } from 'vue'
import { clearApiKey, getSession, type Session } from './client'

/** The signed-in caller, shared by the layout and pages. */
export const currentSession = ref<Session | null>(null)

/** Whether the signed-in key may change things (a `read` key may only look). */
export const canWrite = computed(() => currentSession.value?.scope === 'admin')

export async function loadSession(): Promise<Session | null> {
  try {
    currentSession.value = await getSession()
  } catch {
    currentSession.value = null
  }
  return currentSession.value
}

export function signOut(): void {
  clearApiKey()
  currentSession.value = null
}
