import { createApp } from 'vue'
import { vCards } from './directives/cards'
import App from './App.vue'
import { router } from './router'
import './style.css'

createApp(App).use(router).directive('cards', vCards).mount('#app')
