//! Leftover processes and start-up recovery. Every process of a run carries
//! `AGENTED_EXECUTION_ID=<id>` in its environment (children inherit it), so a
//! run's processes are found by that marker whatever their process group:
//! also those started before the group id was stored, and those that left
//! the group. Runs a previous server left `running` become `interrupted`.

use agented_executions::{ExecStoreError, ExecutionRepository, ExecutionStatus, Outcome};
use agented_kernel::{Clock, ExecutionId};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Why a run ended with the server.
pub const INTERRUPTED: &str = "the server stopped while the run was in progress";

/// The environment variable that marks every process of a run.
pub const MARKER: &str = "AGENTED_EXECUTION_ID";

/// Kill rounds at most: a process may fork between one scan and its kill.
const KILL_ROUNDS: usize = 5;

/// Every process on this host (that we may read) carrying a run marker, by execution id.
#[must_use]
pub fn marked_processes() -> BTreeMap<String, Vec<i32>> {
    let prefix = format!("{MARKER}=");
    let own = i32::try_from(std::process::id()).unwrap_or(0);
    let mut found: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for pid in entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).filter(|p| *p != own) {
        // Another user's process, or one that just exited: not ours to find.
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        let marker = env.split(|&b| b == 0).find_map(|kv| kv.strip_prefix(prefix.as_bytes()));
        if let Some(id) = marker.and_then(|id| std::str::from_utf8(id).ok()) {
            found.entry(id.to_owned()).or_default().push(pid);
        }
    }
    found
}

/// SIGKILLs every process marked with `execution_id`, again until none is
/// left (a process may have forked in between); returns how many were killed.
pub fn kill_marked(execution_id: &str) -> usize {
    let mut killed = BTreeSet::new();
    for _ in 0..KILL_ROUNDS {
        let pids = marked_processes().remove(execution_id).unwrap_or_default();
        if pids.is_empty() {
            break;
        }
        for pid in pids {
            if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                killed.insert(pid);
            }
        }
    }
    killed.len()
}

/// Marks every `running` execution `interrupted`, then kills every process
/// marked by an execution of this database (none is live before the runner
/// starts), whatever its group; returns how many runs were interrupted.
/// Marked processes of executions this database does not know belong to
/// another server on the host and are left alone.
///
/// # Errors
/// [`ExecStoreError`] when the executions cannot be read or written.
pub async fn recover_interrupted(
    executions: &Arc<dyn ExecutionRepository>,
    clock: &dyn Clock,
) -> Result<usize, ExecStoreError> {
    let running = executions.with_status(ExecutionStatus::Running).await?;
    for execution in &running {
        let outcome = Outcome::closing(execution, ExecutionStatus::Interrupted, INTERRUPTED, clock.now());
        executions.finish(&execution.execution_id, &outcome).await?;
    }
    if !running.is_empty() {
        tracing::warn!(count = running.len(), "runs interrupted by the previous shutdown were marked interrupted");
    }
    for id in marked_processes().into_keys() {
        let Ok(execution_id) = ExecutionId::parse(&id) else { continue };
        if executions.get(&execution_id).await?.is_some() {
            let killed = kill_marked(&id);
            if killed > 0 {
                tracing::warn!(execution_id = %id, killed, "killed processes left by a run of the previous server");
            }
        }
    }
    Ok(running.len())
}
