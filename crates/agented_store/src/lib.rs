//! Storage for Agented on SQLite (the embedded default) or PostgreSQL (the
//! scale-out store): Diesel over an r2d2 pool of one connection type for both,
//! embedded migrations per dialect, idempotent seeds, and the repositories that
//! implement the domains' ports.
//!
//! Architecture invariant: an adapter. It depends on the domain crates and
//! translates between their types and rows; no domain type derives a Diesel
//! trait, and no HTTP or queue crate is used here.

pub mod accounts;
pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod backends;
pub mod budgets;
pub mod client_settings;
pub mod copy;
pub mod database;
pub mod dedup;
pub mod deliveries;
pub mod error;
pub mod executions;
pub mod location;
pub mod mcp_servers;
pub mod migrations;
pub mod notifiers;
pub mod overview;
pub mod planning;
pub mod plugins;
pub mod pr_reviews;
pub mod projects;
pub mod python_import;
pub mod schema;
pub mod seeds;
pub mod super_agents;
pub mod teams;
pub mod terminal_sessions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tooling_items;
pub mod triggers;
pub mod workers;
pub mod workflow_runs;
pub mod workflows;

pub use accounts::SqlAccounts;
pub use agents::SqlAgents;
pub use api_keys::SqlApiKeys;
pub use audit::SqlAudit;
pub use backends::SqlBackends;
pub use budgets::SqlBudgets;
pub use client_settings::SqlSettings;
pub use database::{AnyConnection, Database, DatabaseOptions};
pub use dedup::SqlDedup;
pub use deliveries::SqlDeliveries;
pub use error::StoreError;
pub use executions::SqlExecutions;
pub use location::{Location, LocationError};
pub use mcp_servers::SqlMcpServers;
pub use migrations::{MIGRATIONS, POSTGRES_MIGRATIONS, run_migrations, run_migrations_from};
pub use notifiers::SqlNotifiers;
pub use planning::SqlPlanning;
pub use plugins::SqlPlugins;
pub use pr_reviews::SqlPrReviews;
pub use projects::SqlProjects;
pub use seeds::seed;
pub use super_agents::SqlSuperAgents;
pub use teams::SqlTeams;
pub use terminal_sessions::SqlSessions;
pub use tooling_items::SqlToolingItems;
pub use triggers::SqlTriggers;
pub use workers::SqlWorkers;
pub use workflow_runs::SqlWorkflowRuns;
pub use workflows::SqlWorkflows;
