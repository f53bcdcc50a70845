import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { apiKey, onUnauthorized } from './api/client'
import { currentSession } from './api/session'

/** The dashboard's sections, in navigation order. */
export const sections = [
  { path: '/triggers', name: 'triggers', title: 'Triggers' },
  { path: '/executions', name: 'executions', title: 'Executions' },
  { path: '/deliveries', name: 'deliveries', title: 'Deliveries' },
  { path: '/pr-reviews', name: 'pr-reviews', title: 'PR Reviews' },
  { path: '/workflows', name: 'workflows', title: 'Workflows' },
  { path: '/teams', name: 'teams', title: 'Teams' },
  { path: '/agents', name: 'agents', title: 'Agents' },
  { path: '/mcp-servers', name: 'mcp-servers', title: 'MCP Servers' },
  { path: '/skills', name: 'skills', title: 'Skills' },
  { path: '/commands', name: 'commands', title: 'Commands' },
  { path: '/hooks', name: 'hooks', title: 'Hooks' },
  { path: '/rules', name: 'rules', title: 'Rules' },
  { path: '/plugins', name: 'plugins', title: 'Plugins' },
  { path: '/roadmaps', name: 'roadmaps', title: 'Roadmaps' },
  { path: '/sessions', name: 'sessions', title: 'Sessions' },
  { path: '/playground', name: 'playground', title: 'Playground' },
  { path: '/usage', name: 'usage', title: 'Usage' },
  { path: '/budgets', name: 'budgets', title: 'Budgets' },
  { path: '/notifications', name: 'notifications', title: 'Notifications' },
  { path: '/backends', name: 'backends', title: 'Backends' },
  { path: '/workers', name: 'workers', title: 'Workers' },
  { path: '/accounts', name: 'accounts', title: 'Accounts' },
  { path: '/api-keys', name: 'api-keys', title: 'API keys' },
  { path: '/audit', name: 'audit', title: 'Audit' },
  { path: '/settings', name: 'settings', title: 'Settings' },
] as const

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/triggers' },
  { path: '/sign-in', name: 'sign-in', component: () => import('./views/SignInView.vue'), meta: { title: 'Sign in', public: true } },
  { path: '/triggers', name: 'triggers', component: () => import('./views/TriggersView.vue'), meta: { title: 'Triggers' } },
  { path: '/triggers/new', name: 'trigger-new', component: () => import('./views/TriggerFormView.vue'), meta: { title: 'New trigger' } },
  { path: '/triggers/:id', name: 'trigger', component: () => import('./views/TriggerOverviewView.vue'), meta: { title: 'Trigger' } },
  { path: '/triggers/:id/edit', name: 'trigger-edit', component: () => import('./views/TriggerFormView.vue'), meta: { title: 'Edit trigger' } },
  { path: '/executions', name: 'executions', component: () => import('./views/ExecutionsView.vue'), meta: { title: 'Executions' } },
  { path: '/executions/:id', name: 'execution', component: () => import('./views/ExecutionDetailView.vue'), meta: { title: 'Execution' } },
  { path: '/deliveries', name: 'deliveries', component: () => import('./views/DeliveriesView.vue'), meta: { title: 'Deliveries' } },
  { path: '/pr-reviews', name: 'pr-reviews', component: () => import('./views/PrReviewsView.vue'), meta: { title: 'PR Reviews' } },
  { path: '/workflows', name: 'workflows', component: () => import('./views/WorkflowsView.vue'), meta: { title: 'Workflows' } },
  { path: '/workflows/:id', name: 'workflow', component: () => import('./views/WorkflowEditorView.vue'), meta: { title: 'Workflow' } },
  { path: '/workflows/:id/runs/:run', name: 'workflow-run', component: () => import('./views/WorkflowRunView.vue'), meta: { title: 'Workflow run' } },
  { path: '/teams', name: 'teams', component: () => import('./views/TeamsView.vue'), meta: { title: 'Teams' } },
  { path: '/teams/:id', name: 'team', component: () => import('./views/TeamsView.vue'), meta: { title: 'Team' } },
  { path: '/agents', name: 'agents', component: () => import('./views/AgentsView.vue'), meta: { title: 'Agents' } },
  { path: '/mcp-servers', name: 'mcp-servers', component: () => import('./views/McpServersView.vue'), meta: { title: 'MCP Servers' } },
  ...(['skill', 'command', 'hook', 'rule'] as const).map((kind): RouteRecordRaw => {
    const section = sections.find((s) => s.name === `${kind}s`)
    return { path: `/${kind}s`, name: `${kind}s`, component: () => import('./views/ToolingItemsView.vue'), meta: { title: section?.title, kind } }
  }),
  { path: '/plugins', name: 'plugins', component: () => import('./views/PluginsView.vue'), meta: { title: 'Plugins' } },
  { path: '/roadmaps', name: 'roadmaps', component: () => import('./views/RoadmapsView.vue'), meta: { title: 'Roadmaps' } },
  { path: '/roadmaps/:id', name: 'roadmap', component: () => import('./views/RoadmapView.vue'), meta: { title: 'Roadmap' } },
  { path: '/sessions', name: 'sessions', component: () => import('./views/SessionsView.vue'), meta: { title: 'Sessions' } },
  { path: '/sessions/:id', name: 'session', component: () => import('./views/SessionsView.vue'), meta: { title: 'Session' } },
  { path: '/playground', name: 'playground', component: () => import('./views/SuperAgentsView.vue'), meta: { title: 'Playground' } },
  { path: '/playground/:id', name: 'playground-agent', component: () => import('./views/SuperAgentsView.vue'), meta: { title: 'Playground' } },
  { path: '/usage', name: 'usage', component: () => import('./views/UsageView.vue'), meta: { title: 'Usage' } },
  { path: '/budgets', name: 'budgets', component: () => import('./views/BudgetsView.vue'), meta: { title: 'Budgets' } },
  { path: '/notifications', name: 'notifications', component: () => import('./views/NotificationsView.vue'), meta: { title: 'Notifications' } },
  { path: '/accounts', name: 'accounts', component: () => import('./views/AccountsView.vue'), meta: { title: 'Accounts' } },
  { path: '/backends', name: 'backends', component: () => import('./views/BackendsView.vue'), meta: { title: 'Backends' } },
  { path: '/workers', name: 'workers', component: () => import('./views/WorkersView.vue'), meta: { title: 'Workers' } },
  { path: '/api-keys', name: 'api-keys', component: () => import('./views/ApiKeysView.vue'), meta: { title: 'API keys' } },
  { path: '/audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { title: 'Audit' } },
  { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { title: 'Settings' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'Not found' } },
]

export const router = createRouter({ history: createWebHistory(), routes })

// Every page but sign-in needs a key; the server decides whether it is valid.
router.beforeEach((to) => {
  if (!to.meta.public && !apiKey()) {
    return { name: 'sign-in', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
  }
  return true
})

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : null
  document.title = title ? `${title} · Agented` : 'Agented'
})

// A refused key sends the user back to sign-in with a reason.
onUnauthorized(() => {
  currentSession.value = null
  const here = router.currentRoute.value
  if (here.name !== 'sign-in') {
    void router.push({ name: 'sign-in', query: { reason: 'expired', redirect: here.fullPath } })
  }
})
