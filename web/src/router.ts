import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

/** The dashboard's sections, in navigation order. */
export const sections = [
  { path: '/triggers', name: 'triggers', title: 'Triggers' },
  { path: '/executions', name: 'executions', title: 'Executions' },
  { path: '/roadmaps', name: 'roadmaps', title: 'Roadmaps' },
  { path: '/backends', name: 'backends', title: 'Backends' },
  { path: '/settings', name: 'settings', title: 'Settings' },
] as const

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/triggers' },
  { path: '/triggers', name: 'triggers', component: () => import('./views/TriggersView.vue'), meta: { title: 'Triggers' } },
  { path: '/executions', name: 'executions', component: () => import('./views/ExecutionsView.vue'), meta: { title: 'Executions' } },
  { path: '/roadmaps', name: 'roadmaps', component: () => import('./views/RoadmapsView.vue'), meta: { title: 'Roadmaps' } },
  { path: '/backends', name: 'backends', component: () => import('./views/BackendsView.vue'), meta: { title: 'Backends' } },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { title: 'Settings' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'Not found' } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : null
  document.title = title ? `${title} · Agented` : 'Agented'
})
