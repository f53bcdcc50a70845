//! Command-line interface: `agented [serve|worker|migrate|migrate-store|import-python|config|keys|workflow]`.

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
    /// Import the Python Agented's database (triggers, executions with their logs,
    /// accounts, budgets) into this installation; the file is only read.
    #[command(name = "import-python")]
    ImportPython {
        /// The original's SQLite file (`agented.db` of Python Agented v0.1.0).
        path: std::path::PathBuf,
        /// Check and count everything, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also write the report as JSON to FILE.
        #[arg(long, value_name = "FILE")]
        report: Option<std::path::PathBuf>,
        /// The original server's time zone (IANA), for its local times; read from the file when absent.
        #[arg(long, value_name = "ZONE")]
        timezone: Option<chrono_tz::Tz>,
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
