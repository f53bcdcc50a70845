//! `agented workflow validate|import|export`: workflows as YAML files from the terminal.
//! `validate` reads the file only; `import` and `export` use the configured database,
//! like the API's `/admin/workflows/import` and `/{id}/export`. Imports are audited with
//! the actor `cli`.

use crate::Settings;
use crate::startup::prepare_database;
use agented_auth::{AuditEntry, AuditLog, Outcome};
use agented_kernel::{Clock, SystemClock};
use agented_store::{SqlAudit, SqlWorkflows};
use agented_workflows::{WorkflowError, WorkflowService};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Workflow subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WorkflowCommand {
    /// Check a workflow file; every problem is printed as FILE:LINE: field: message.
    Validate {
        /// The YAML (or JSON) file.
        file: PathBuf,
    },
    /// Create a workflow from a file (its graph is version 1, a draft unless --publish).
    Import {
        /// The YAML (or JSON) file.
        file: PathBuf,
        /// Publish the version, so runs use it.
        #[arg(long)]
        publish: bool,
    },
    /// Print a workflow as YAML.
    Export {
        /// The workflow's id (`wf-…`).
        id: String,
        /// The version (the newest when absent).
        #[arg(long)]
        version: Option<i64>,
    },
}

fn read(file: &Path) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))
}

/// Each problem of a file on its own line, `FILE:LINE: field: message`.
fn explain(file: &Path, e: WorkflowError) -> String {
    match e {
        WorkflowError::InvalidFile(problems) => problems
            .iter()
            .map(|p| format!("{}:{p}", file.display()).replacen(":line ", ":", 1))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Runs a workflow subcommand and returns what to print.
///
/// # Errors
/// A message for the operator (each problem of a file on its own line).
pub async fn run(settings: &Settings, command: WorkflowCommand) -> Result<String, String> {
    let service = |db| WorkflowService::new(Arc::new(SqlWorkflows::new(db)), Arc::new(SystemClock));
    match command {
        WorkflowCommand::Validate { file } => {
            let text = read(&file)?;
            // Checking a file needs no database: the rules are the domain's.
            let checked = agented_workflows::read_workflow(&text)
                .map_err(|problems| explain(&file, WorkflowError::InvalidFile(problems)))?;
            Ok(format!(
                "{}: workflow '{}' is valid ({} nodes, {} edges)\n",
                file.display(),
                checked.name,
                checked.graph.nodes.len(),
                checked.graph.edges.len()
            ))
        }
        WorkflowCommand::Import { file, publish } => {
            let text = read(&file)?;
            let database = prepare_database(settings).await.map_err(|e| e.to_string())?;
            let created = service(database.clone()).import(&text, publish).await.map_err(|e| explain(&file, e))?;
            let entry = AuditEntry {
                at: SystemClock.now(),
                actor: "cli".into(),
                action: "workflows.import".into(),
                entity_type: "workflows".into(),
                entity_id: Some(created.id.to_string()),
                outcome: Outcome::Success,
                status: 0,
                changes: Some(serde_json::json!({ "file": file.display().to_string(), "publish": publish })),
                request_id: None,
            };
            if let Err(e) = SqlAudit::new(database).record(entry).await {
                tracing::error!(error = %e, "could not write the audit record");
            }
            Ok(format!(
                "Imported '{}' as {} (version {}{}).\n",
                created.fields.name,
                created.id,
                created.latest_version.unwrap_or(1),
                if publish { ", published" } else { ", a draft" }
            ))
        }
        WorkflowCommand::Export { id, version } => {
            let database = prepare_database(settings).await.map_err(|e| e.to_string())?;
            service(database).export(&id, version).await.map_err(|e| e.to_string())
        }
    }
}
