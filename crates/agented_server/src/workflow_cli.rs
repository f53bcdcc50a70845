//! `agented workflow validate|import|export`: workflows and teams as YAML files from the
//! terminal, told apart by the file's `kind` (or the id's prefix). `validate` reads the
//! file only; `import` and `export` use the configured database, like the API's
//! `/admin/workflows/import`, `/admin/teams/import` and their `/{id}/export`. Imports are
//! audited with the actor `cli`.

use crate::Settings;
use crate::startup::prepare_database;
use agented_auth::{AuditEntry, AuditLog, Outcome};
use agented_kernel::{Clock, SystemClock};
use agented_store::{SqlAudit, SqlWorkflows};
use agented_workflows::{ConfigFile, TeamError, TeamService, WorkflowError, WorkflowService, YamlProblem, read_file};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Workflow subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WorkflowCommand {
    /// Check a workflow or team file; every problem is printed as FILE:LINE: field: message.
    Validate {
        /// The YAML (or JSON) file.
        file: PathBuf,
    },
    /// Create a workflow (its graph is version 1, a draft unless --publish) or a team from a file.
    Import {
        /// The YAML (or JSON) file.
        file: PathBuf,
        /// Publish the version, so runs use it.
        #[arg(long)]
        publish: bool,
    },
    /// Print a workflow or a team as YAML.
    Export {
        /// The workflow's id (`wf-…`) or the team's (`team-…`).
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
fn lines(file: &Path, problems: &[YamlProblem]) -> String {
    problems.iter().map(|p| format!("{}:{p}", file.display()).replacen(":line ", ":", 1)).collect::<Vec<_>>().join("\n")
}

fn explain(file: &Path, e: WorkflowError) -> String {
    match e {
        WorkflowError::InvalidFile(problems) => lines(file, &problems),
        other => other.to_string(),
    }
}

fn explain_team(file: &Path, e: TeamError) -> String {
    match e {
        TeamError::InvalidFile(problems) => lines(file, &problems),
        other => other.to_string(),
    }
}

/// The team service over `database`.
fn teams(database: &agented_store::Database) -> TeamService {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (runs, _) = crate::startup::workflow_runs(database, clock.clone());
    crate::startup::team_service(database, &runs, clock).1
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
            match read_file(&text).map_err(|problems| lines(&file, &problems))? {
                ConfigFile::Workflow(checked) => Ok(format!(
                    "{}: workflow '{}' is valid ({} nodes, {} edges)\n",
                    file.display(),
                    checked.name,
                    checked.graph.nodes.len(),
                    checked.graph.edges.len()
                )),
                ConfigFile::Team(checked) => Ok(format!(
                    "{}: team '{}' is valid ({}, {} members)\n",
                    file.display(),
                    checked.name,
                    checked.topology,
                    checked.members.len()
                )),
            }
        }
        WorkflowCommand::Import { file, publish } => {
            let text = read(&file)?;
            let database = prepare_database(settings).await.map_err(|e| e.to_string())?;
            let (kind, id, said) = if matches!(read_file(&text), Ok(ConfigFile::Team(_))) {
                let created = teams(&database).import(&text).await.map_err(|e| explain_team(&file, e))?;
                let said = format!("Imported team '{}' as {}.\n", created.fields.name, created.id);
                ("teams", created.id.to_string(), said)
            } else {
                let created = service(database.clone()).import(&text, publish).await.map_err(|e| explain(&file, e))?;
                let said = format!(
                    "Imported '{}' as {} (version {}{}).\n",
                    created.fields.name,
                    created.id,
                    created.latest_version.unwrap_or(1),
                    if publish { ", published" } else { ", a draft" }
                );
                ("workflows", created.id.to_string(), said)
            };
            let entry = AuditEntry {
                at: SystemClock.now(),
                actor: "cli".into(),
                action: format!("{kind}.import"),
                entity_type: kind.into(),
                entity_id: Some(id),
                outcome: Outcome::Success,
                status: 0,
                changes: Some(serde_json::json!({ "file": file.display().to_string(), "publish": publish })),
                request_id: None,
            };
            if let Err(e) = SqlAudit::new(database).record(entry).await {
                tracing::error!(error = %e, "could not write the audit record");
            }
            Ok(said)
        }
        WorkflowCommand::Export { id, version } => {
            let database = prepare_database(settings).await.map_err(|e| e.to_string())?;
            if id.starts_with("team-") {
                return teams(&database).export(&id).await.map_err(|e| e.to_string());
            }
            service(database).export(&id, version).await.map_err(|e| e.to_string())
        }
    }
}
