//! Route handlers, one module per area. Each handler carries `#[utoipa::path]`
//! and is registered with `.service(..)` so it appears in the OpenAPI spec.

pub mod accounts;
pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod backends;
pub mod budgets;
pub mod context;
pub mod deliveries;
pub mod events;
pub mod executions;
pub mod follow_ups;
pub mod health;
pub mod history;
pub mod metrics;
pub mod phases;
pub mod planning;
pub mod pr_reviews;
pub mod projects;
pub mod research;
pub mod roadmap_views;
pub mod schedules;
pub mod session;
pub mod streams;
pub mod team_views;
pub mod teams;
pub mod trigger_input;
pub mod triggers;
pub mod usage;
pub mod views;
pub mod webhooks;
pub mod workers;
pub mod workflow_run_views;
pub mod workflow_runs;
pub mod workflows;
pub mod workspaces;
