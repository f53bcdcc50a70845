//! `[runner]`: where CLIs are found, where runs work (never inside the data
//! folder), what of the server's environment they see, and how many run at once.

use super::fields::{ConfigError, StringList, at_most, invalid, path, seconds, within};
use crate::workspace;
use serde::{Deserialize, Serialize, Serializer};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRunner {
    extra_path: StringList,
    workspace_dir: Option<PathBuf>,
    env_passthrough: StringList,
    max_parallel_runs: usize,
    shutdown_grace_seconds: u64,
    max_log_lines: i64,
    stall_timeout_seconds: u64,
    labels: StringList,
    worker_lost_after_seconds: u64,
    keep_succeeded_workspaces: usize,
    keep_failed_workspaces: usize,
    workspace_max_mb: u64,
    sandbox: String,
}

/// How bots are run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunnerSettings {
    /// Folders searched for CLIs before the server's own `PATH`.
    #[serde(serialize_with = "paths")]
    pub extra_path: Vec<PathBuf>,
    /// Working directory of runs without a local project path; per-run clones go under
    /// `runs/` in it. Never inside `data_dir`.
    #[serde(serialize_with = "path")]
    pub workspace_dir: PathBuf,
    /// Whether `workspace_dir` is the default one, private to this user under the temp folder.
    #[serde(skip)]
    pub default_workspace: bool,
    /// Variables of the server's environment passed on to runs, besides the allowlist.
    pub env_passthrough: Vec<String>,
    /// Runs executing at once, over all triggers.
    pub max_parallel_runs: usize,
    /// On shutdown, how long running CLIs get after SIGTERM before they are marked interrupted.
    #[serde(rename = "shutdown_grace_seconds", serialize_with = "seconds")]
    pub shutdown_grace: Duration,
    /// Lines stored per run; later lines are counted, not stored.
    pub max_log_lines: i64,
    /// A run with no output for this long is stopped like a timeout, unless its trigger sets its own (0: never).
    pub stall_timeout_seconds: u32,
    /// What this process's worker offers (which CLIs, `region=eu`, …), shown in the registry.
    pub labels: Vec<String>,
    /// A worker without a heartbeat for this long is lost, and its runs are interrupted.
    /// Workers beat six times in this period.
    #[serde(rename = "worker_lost_after_seconds", serialize_with = "seconds")]
    pub worker_lost_after: Duration,
    /// Workspaces of succeeded runs kept for follow-ups.
    pub keep_succeeded_workspaces: usize,
    /// Workspaces of runs that did not succeed kept for inspection.
    pub keep_failed_workspaces: usize,
    /// Megabytes the workspaces and mirrors may take together.
    pub workspace_max_mb: u64,
    /// `none`, or `bubblewrap`: each CLI sees only its folders, its configuration, its
    /// installation and the system.
    pub sandbox: SandboxKind,
}

/// How runs are confined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxKind {
    /// As the server's user, seeing what it sees.
    None,
    /// Under `bwrap`.
    Bubblewrap,
}

fn paths<S: Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(paths.iter().map(|p| p.display().to_string()))
}

/// The raw section and the data folder runs are kept out of.
impl TryFrom<(RawRunner, &Path)> for RunnerSettings {
    type Error = ConfigError;

    fn try_from((raw, data_dir): (RawRunner, &Path)) -> Result<Self, ConfigError> {
        let max_parallel_runs = within("runner.max_parallel_runs", raw.max_parallel_runs, 1..=256, "")?;
        let grace = at_most("runner.shutdown_grace_seconds", raw.shutdown_grace_seconds, 300)?;
        let stall = at_most(
            "runner.stall_timeout_seconds",
            raw.stall_timeout_seconds,
            agented_triggers::MAX_STALL_SECONDS.into(),
        )?;
        if raw.max_log_lines < 1 {
            return Err(invalid("runner.max_log_lines", "must be at least 1"));
        }
        let env_passthrough = raw.env_passthrough.into_vec();
        if let Some(problem) = env_passthrough.iter().find_map(|name| {
            if agented_orchestration::accounts::is_env_name(name) {
                agented_executions::run_env::refusal(name)
            } else {
                Some(format!("'{name}' is not an environment variable name"))
            }
        }) {
            return Err(invalid("runner.env_passthrough", problem));
        }
        let lost_after = within("runner.worker_lost_after_seconds", raw.worker_lost_after_seconds, 3..=3600, "")?;
        let labels = raw.labels.into_vec();
        if let Some(bad) = labels.iter().find(|l| !agented_kernel::labels::valid_label(l)) {
            return Err(invalid(
                "runner.labels",
                format!("'{bad}' is not a label: 1 to 64 of letters, digits, '-', '_', '.', ':' or one '='"),
            ));
        }
        let keep_succeeded_workspaces =
            within("runner.keep_succeeded_workspaces", raw.keep_succeeded_workspaces, 0..=10_000, "")?;
        let keep_failed_workspaces =
            within("runner.keep_failed_workspaces", raw.keep_failed_workspaces, 0..=10_000, "")?;
        let workspace_max_mb = within("runner.workspace_max_mb", raw.workspace_max_mb, 1..=u64::from(u32::MAX), "")?;
        let sandbox = match raw.sandbox.trim() {
            "none" | "" => SandboxKind::None,
            "bubblewrap" => SandboxKind::Bubblewrap,
            other => return Err(invalid("runner.sandbox", format!("'{other}' is not none or bubblewrap"))),
        };
        let configured = raw.workspace_dir.filter(|p| !p.as_os_str().is_empty());
        let default_workspace = configured.is_none();
        let workspace_dir = configured.unwrap_or_else(|| workspace::default_dir(data_dir));
        workspace::check_apart(&workspace_dir, data_dir).map_err(|e| invalid("runner.workspace_dir", e))?;
        Ok(Self {
            extra_path: raw.extra_path.into_vec().into_iter().map(PathBuf::from).collect(),
            workspace_dir,
            default_workspace,
            env_passthrough,
            max_parallel_runs,
            shutdown_grace: Duration::from_secs(grace),
            max_log_lines: raw.max_log_lines,
            stall_timeout_seconds: u32::try_from(stall).unwrap_or(agented_triggers::MAX_STALL_SECONDS),
            labels,
            worker_lost_after: Duration::from_secs(lost_after),
            keep_succeeded_workspaces,
            keep_failed_workspaces,
            workspace_max_mb,
            sandbox,
        })
    }
}
