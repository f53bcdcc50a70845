// One clock for relative times and countdowns: every second while something shows one.
import { ref } from 'vue'

export const now = ref(Date.now())
window.setInterval(() => (now.value = Date.now()), 1000)
