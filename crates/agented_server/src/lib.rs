//! The `agented` binary's library: layered configuration, the secret key,
//! start-up wiring of adapters into the HTTP server, and the CLI.
//!
//! Architecture invariant: the composition root. Only this crate knows every
//! other crate; it builds the concrete adapters, hands them to the HTTP layer
//! as ports, and holds no business rule of its own.

pub mod agent_runs;
pub mod alerts;
pub mod assistant;
pub mod cli;
pub mod github_writeback;
pub mod keys;
pub mod mcp_probe;
pub mod notify;
pub mod observability;
pub mod plugin_files;
pub mod python_import;
pub mod run_metrics;
pub mod secret_key;
pub mod sessions;
pub mod settings;
pub mod startup;
pub mod super_agent_runs;
pub mod trigger_workflows;
pub mod worker_node;
pub mod workflow_cli;
pub mod workspace;

pub use settings::{ConfigError, Settings, Sources};
pub use startup::{Application, Overrides, StartupError};
