//! Command-line interface: `agented [serve|worker|migrate|migrate-store|config|keys|workflow]`.

use crate::keys::KeysCommand;
use crate::workflow_cli::WorkflowCommand;
use clap::{Parser, Subcommand};

/// Agented: run AI coding CLIs from webhooks, GitHub events, schedules and
/// the dashboard; watch them live; keep their history and cost.
#[derive(Debug, Parser)]
#[command(name = "agented", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the server: dashboard and API, and a worker that runs jobs (the default).
    Serve {
        /// Serve the API and the dashboard only; runs wait for a worker process.
        #[arg(long)]
        no_worker: bool,
    },
    /// Run jobs only, with no HTTP: a worker beside one or more `serve --no-worker` on one database.
    Worker {
        /// What this worker offers, comma-separated (`claude,codex,region=eu`); sets `runner.labels`.
        #[arg(long, value_delimiter = ',')]
        labels: Option<Vec<String>>,
        /// Runs at once (1 to 256); sets `runner.max_parallel_runs`.
        #[arg(long)]
        max_parallel_runs: Option<usize>,
    },
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Copy a whole SQLite installation into an empty PostgreSQL database (stop every
    /// server first); the SQLite file is only read.
    #[command(name = "migrate-store")]
    MigrateStore {
        /// The SQLite database, `sqlite://PATH`.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database, `postgres://…` (migrated here; it must hold no rows).
        #[arg(long)]
        to: String,
    },
    /// Print the effective configuration, secrets redacted, then exit.
    Config,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Workflows as YAML files: validate, import, export.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
}
