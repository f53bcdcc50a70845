// Re-reads a list when the list events say something changed, at most once
// per `quietMs` however many runs change at once; `reload` gets every event
// of the burst.
import { onBeforeUnmount, onMounted } from 'vue'
import { listEvents, type ListEvent } from './listEvents'

export function useLiveList(reload: (events: ListEvent[]) => void, quietMs = 300): void {
  let timer: number | undefined
  let pending: ListEvent[] = []
  let stop: (() => void) | null = null
  onMounted(() => {
    stop = listEvents.listen((event) => {
      pending.push(event)
      if (timer === undefined) {
        timer = window.setTimeout(() => {
          timer = undefined
          const burst = pending
          pending = []
          reload(burst)
        }, quietMs)
      }
    })
  })
  onBeforeUnmount(() => {
    stop?.()
    window.clearTimeout(timer)
  })
}
