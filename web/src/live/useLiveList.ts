// Re-reads a list when the list events say something changed, at most once
// per `quietMs` however many runs change at once.
import { onBeforeUnmount, onMounted } from 'vue'
import { listEvents, type ListEvent } from './listEvents'

export function useLiveList(reload: (event: ListEvent) => void, quietMs = 300): void {
  let timer: number | undefined
  let last: ListEvent = { kind: 'resync' }
  let stop: (() => void) | null = null
  onMounted(() => {
    stop = listEvents.listen((event) => {
      last = event
      if (timer === undefined) {
        timer = window.setTimeout(() => {
          timer = undefined
          reload(last)
        }, quietMs)
      }
    })
  })
  onBeforeUnmount(() => {
    stop?.()
    window.clearTimeout(timer)
  })
}
