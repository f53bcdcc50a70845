//! SQLite storage for Agented: Diesel over an r2d2 pool, embedded migrations,
//! idempotent seeds, and the repositories that implement the domains' ports.
//!
//! Architecture invariant: an adapter. It depends on the domain crates and
//! translates between their types and rows; no domain type derives a Diesel
//! trait, and no HTTP or queue crate is used here.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod backends;
pub mod budgets;
pub mod database;
pub mod dedup;
pub mod deliveries;
pub mod error;
pub mod executions;
pub mod migrations;
pub mod overview;
pub mod planning;
pub mod projects;
pub mod schema;
pub mod seeds;
pub mod triggers;
pub mod workers;

pub use accounts::SqliteAccounts;
pub use api_keys::SqliteApiKeys;
pub use audit::SqliteAudit;
pub use backends::SqliteBackends;
pub use budgets::SqliteBudgets;
pub use database::{Database, DatabaseOptions};
pub use dedup::SqliteDedup;
pub use deliveries::SqliteDeliveries;
pub use error::StoreError;
pub use executions::SqliteExecutions;
pub use migrations::{MIGRATIONS, run_migrations, run_migrations_from};
pub use planning::SqlitePlanning;
pub use projects::SqliteProjects;
pub use seeds::seed;
pub use triggers::SqliteTriggers;
pub use workers::SqliteWorkers;
