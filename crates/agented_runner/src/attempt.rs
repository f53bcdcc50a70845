//! One CLI attempt of a run: its workspace, command and environment, the
//! process under supervision while its output is collected, and its outcome.

use crate::collector::LogCollector;
use crate::outcome;
use crate::process::{self, ProcessSpec, StopReason};
use crate::runner::{Runner, log_store};
use crate::tooling::ToolingFolder;
use crate::workspace::{Workspace, WorkspaceRequest};
use agented_executions::{
    AttemptRecord, BackendSpec, CommandBuilder, Execution, ExecutionStatus, Outcome, OutputParser, Usage,
};
use agented_orchestration::{Attempt, RateLimitHit, builtin_id};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How an attempt ended: its outcome (usage counted from the run's earlier attempts)
/// and the rate limit its output showed, if any.
pub struct AttemptResult {
    /// What to store, unless the chain goes on.
    pub outcome: Outcome,
    /// A rate limit seen in the output.
    pub hit: Option<RateLimitHit>,
}

impl Runner {
    /// Runs `attempt` of `execution`: the CLI's process to its end.
    pub(crate) async fn attempt(
        &self,
        execution: &Execution,
        attempt: &Attempt,
        stop: watch::Receiver<Option<StopReason>>,
        seq: &mut i64,
        base: Usage,
    ) -> AttemptResult {
        let id = &execution.execution_id;
        let clock = &self.ports.clock;
        let failed =
            |message: String| AttemptResult { outcome: outcome::failed(clock.now(), message, base), hit: None };
        let own_backend = execution
            .snapshot
            .backend_id
            .clone()
            .unwrap_or_else(|| builtin_id(execution.snapshot.backend_type).to_owned());
        let mut snapshot = execution.snapshot.clone();
        if attempt.scope.backend_id != own_backend {
            // The model and tools belong to the trigger's own CLI.
            snapshot.model = None;
        }
        let spec = attempt.spec.clone();
        let record = AttemptRecord {
            backend_type: match &spec {
                BackendSpec::Builtin(t) => *t,
                BackendSpec::Custom(_) => snapshot.backend_type,
            },
            backend_id: match &spec {
                BackendSpec::Builtin(_) => None,
                BackendSpec::Custom(c) => Some(c.id.clone()),
            },
            account_id: attempt.account.as_ref().map(|a| a.id.as_str().to_owned()),
        };
        if let Err(e) = self.ports.executions.set_attempt(id, &record).await {
            log_store(&e, id);
        }
        let options = &self.options;
        let request = WorkspaceRequest {
            clones_dir: &options.clones_dir,
            key: snapshot.resume.as_ref().map_or(id.as_str(), |r| r.workspace_of.as_str()),
            execution_id: id.as_str(),
            repositories: &snapshot.repositories,
            github: snapshot.github.as_ref(),
        };
        let workspace = match Workspace::prepare(&request, &options.base_env).await {
            Ok(w) => w,
            Err(e) => return failed(e),
        };
        let mut dirs: Vec<String> = snapshot.local_paths.clone();
        dirs.extend(workspace.checkouts().iter().map(|p| p.display().to_string()));
        let (cwd, extra) = match dirs.split_first() {
            Some((first, rest)) => (PathBuf::from(first), rest.to_vec()),
            None => (options.workspace_dir.clone(), Vec::new()),
        };
        let cli = match &spec {
            BackendSpec::Builtin(b) => Some(*b),
            BackendSpec::Custom(_) => None,
        };
        let env = &options.server_env.0;
        let lookup = |name: &str| env.get(name).cloned();
        // Lives until the attempt ends, and the folder with it.
        let tooling = match ToolingFolder::prepare(&options.data_dir, id, cli, &snapshot.tooling, &lookup) {
            Ok(t) => t,
            Err(e) => return failed(e),
        };
        self.notes(id, seq, &tooling.notes).await;
        let command = CommandBuilder::build(&spec, &snapshot, &extra).with_options(tooling.args.clone());
        let cwd = if dirs.is_empty() { command.working_dir.clone().map_or(cwd, PathBuf::from) } else { cwd };
        let display_command = command.display(&snapshot.prompt);
        let Some(program) = process::which(&command.program, &options.path_env) else {
            let _ = self.ports.executions.set_process(id, &display_command, None).await;
            return failed(format!("`{}` command not found", command.program));
        };
        if let Err(problem) = prepare_cwd(&cwd, &options.data_dir).await {
            return failed(problem);
        }
        let process_spec = ProcessSpec {
            program,
            args: command.args.clone(),
            env: options
                .base_env
                .clone()
                .with(command.env.clone())
                .with(attempt.env.iter().cloned())
                .with(tooling.env.iter().cloned())
                .into_vars(),
            path_env: options.path_env.clone(),
            cwd,
            timeout: Duration::from_secs(snapshot.timeout_seconds.into()),
            stall: match snapshot.stall_timeout_seconds.unwrap_or(options.stall_timeout_seconds) {
                0 => None,
                seconds => Some(Duration::from_secs(seconds.into())),
            },
            grace: Duration::from_secs(snapshot.sigterm_grace_seconds.into()),
            execution_id: id.as_str().to_owned(),
            parent_death: options.parent_death.clone(),
            sandbox: options
                .sandbox
                .clone()
                .map(|s| (s, extra.iter().map(PathBuf::from).chain(tooling.dir().map(Path::to_path_buf)).collect())),
        };
        if let Some(step) = &snapshot.setup
            && let Err(why) = self.setup(id, step, &process_spec, stop.clone(), seq).await
        {
            return failed(why);
        }
        let (lines_tx, lines_rx) = mpsc::channel(4096);
        let running = match process::spawn(&process_spec, &lines_tx) {
            Ok(r) => r,
            Err(e) => {
                let message = if e.kind() == std::io::ErrorKind::NotFound {
                    format!("`{}` command not found", command.program)
                } else {
                    format!("could not start `{}`: {e}", command.program)
                };
                return failed(message);
            }
        };
        drop(lines_tx);
        crate::fault::point(crate::fault::AFTER_SPAWN);
        self.track_group(id, Some(running.pgid));
        if let Err(e) = self.ports.executions.set_process(id, &display_command, Some(running.pgid)).await {
            log_store(&e, id);
        }
        tracing::info!(execution_id = %id, pgid = running.pgid, command = %display_command, "run started");
        let parser = OutputParser::new(match spec {
            BackendSpec::Builtin(b) => Some(b),
            BackendSpec::Custom(_) => None,
        })
        .priced(options.prices.clone(), snapshot.model.clone());
        let (gone_tx, gone_rx) = watch::channel(false);
        let supervise = async {
            let ending = running.supervise(&process_spec, stop).await;
            let _ = gone_tx.send(true);
            ending
        };
        let collect = LogCollector::new(self, id, attempt, parser, *seq, base).run(lines_rx, gone_rx);
        let (ending, collected) = tokio::join!(supervise, collect);
        self.track_group(id, None);
        if let Some(session) = collected.parser.session() {
            // Written once the CLI is done: a write while its first lines are stored would
            // hold up their group commit (SQLite has one writer).
            if let Err(e) = self.ports.executions.set_session(id, session).await {
                log_store(&e, id);
            }
        }
        *seq = collected.seq;
        let mut outcome = outcome::of_process(ending, &collected.parser, snapshot.timeout_seconds, clock.now());
        outcome.usage = base.plus(collected.parser.usage());
        if let Some(reason) = collected.budget_stop.filter(|_| outcome.status == ExecutionStatus::BudgetBlocked) {
            outcome.error_message = Some(format!("stopped: {reason}"));
        }
        AttemptResult { outcome, hit: collected.hit }
    }
}

/// Creates a run's working directory and refuses one inside the data directory
/// (`data_dir` is canonical), however the path is spelled.
async fn prepare_cwd(cwd: &Path, data_dir: &Path) -> Result<(), String> {
    let unusable = |e: std::io::Error| format!("working directory {} is not usable: {e}", cwd.display());
    tokio::fs::create_dir_all(cwd).await.map_err(unusable)?;
    if tokio::fs::canonicalize(cwd).await.map_err(unusable)?.starts_with(data_dir) {
        return Err(format!(
            "working directory {} is inside the data directory, which holds the database and secret key; \
             runs may not work there",
            cwd.display()
        ));
    }
    Ok(())
}
