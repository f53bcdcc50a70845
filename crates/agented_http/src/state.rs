//! What handlers share: ports and settings, built once by the server.

use agented_auth::{ApiKeyService, AuditTrail, SecretKey};
use agented_executions::{BackendService, ExecutionService, LogFollower, WebhookIntake};
use agented_kernel::{Clock, Readiness};
use agented_triggers::TriggerService;
use std::sync::Arc;

/// Shared handler state.
#[derive(Clone)]
pub struct AppState {
    /// Readiness of the database, the run queue and the runner.
    pub readiness: Readiness,
    /// Where the dashboard's files come from.
    pub dashboard: crate::static_files::Dashboard,
    /// Authenticates callers and manages API keys.
    pub keys: ApiKeyService,
    /// The audit trail.
    pub audit: AuditTrail,
    /// Signs stream tokens.
    pub secret_key: SecretKey,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Problems noticed at start-up, shown to authenticated readiness checks.
    pub startup_warnings: Vec<String>,
    /// Triggers.
    pub triggers: TriggerService,
    /// Starts, retries and cancels runs; reads executions.
    pub runs: ExecutionService,
    /// Runs' logs, read and followed live.
    pub follower: LogFollower,
    /// Built-in and custom backends, and what probing found of them.
    pub backends: BackendService,
    /// Generic and GitHub webhook deliveries, and the delivery inspector.
    pub webhooks: WebhookIntake,
    /// What generic deliveries must show of their time of sending.
    pub timestamp_policy: agented_auth::standard_webhooks::TimestampPolicy,
    /// Projects and their roadmaps.
    pub projects: agented_roadmaps::RoadmapService,
    /// Planning sessions and research runs.
    pub planning: agented_roadmaps::planning::PlanningService,
    /// Accounts, chains, rate limits and budgets.
    pub orchestration: agented_orchestration::Orchestration,
    /// The figures `GET /metrics` shows.
    pub metrics: crate::metrics::Metrics,
    /// The worker registry.
    pub workers: agented_executions::WorkerService,
    /// Tracked pull requests (`/api/pr-reviews/`).
    pub pr_reviews: agented_executions::pr_reviews::PrReviewService,
    /// MCP servers given to runs.
    pub mcp_servers: agented_tooling::McpServerService,
    /// Skills, commands, hooks and rules.
    pub tooling_items: agented_tooling::ToolingItemService,
    /// Plugins: bundles of them in Claude Code's layout.
    pub plugins: agented_tooling::PluginService,
    /// Outgoing webhooks and Slack channels, and their delivery logs.
    pub notifiers: agented_notifications::NotifierService,
    /// The run workspaces and mirrors this server keeps.
    pub workspaces: Arc<dyn agented_executions::WorkspaceInventory>,
    /// Workflows and their versions.
    pub workflows: agented_workflows::WorkflowService,
    /// Runs of workflows: start, read, cancel, approve.
    pub workflow_runs: agented_workflows::WorkflowRunService,
    /// Agents and their runs.
    pub agents: agented_workflows::AgentService,
    /// Teams, their members and runs.
    pub teams: agented_workflows::TeamService,
    /// Settings clients keep on the server (`/api/settings`).
    pub settings: agented_settings::SettingsService,
    /// Imports of the Python Agented's database.
    pub imports: agented_migration::ImportService,
    /// Interactive terminal sessions.
    pub sessions: agented_sessions::SessionService,
    /// Persistent agents and their chats.
    pub super_agents: agented_super_agents::SuperAgentService,
    /// Where uploads wait for their import (private to the server).
    pub import_dir: std::path::PathBuf,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("dashboard", &self.dashboard).finish_non_exhaustive()
    }
}
