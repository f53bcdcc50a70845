//! Command-line interface: `agented [serve|migrate|config]`.

use crate::keys::KeysCommand;
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
    /// Run the server: dashboard and API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the effective configuration, secrets redacted, then exit.
    Config,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}
