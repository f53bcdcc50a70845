//! Leftover processes and start-up recovery. Every process of a run carries
//! `AGENTED_EXECUTION_ID=<id>` in its environment (children inherit it), so a
//! run's processes are found by that marker whatever their process group:
//! also those started before the group id was stored, and those that left
//! the group. Runs whose worker is gone (a previous server, a killed worker)
//! become `interrupted`, and what is left of their processes on this host is killed.

use agented_executions::{ExecStoreError, ExecutionRepository, ExecutionStatus, Sweep, WorkerService};
use agented_kernel::{ExecutionId, WorkerId};
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
    processes_marked(MARKER)
}

/// Every process on this host (that we may read) whose environment sets
/// `marker`, by the marker's value.
#[must_use]
pub fn processes_marked(marker: &str) -> BTreeMap<String, Vec<i32>> {
    let prefix = format!("{marker}=");
    let own = i32::try_from(std::process::id()).unwrap_or(0);
    let mut found: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return found };
    for pid in entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).filter(|p| *p != own) {
        // Another user's process, or one that just exited: not ours to find.
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        let value = env.split(|&b| b == 0).find_map(|kv| kv.strip_prefix(prefix.as_bytes()));
        if let Some(id) = value.and_then(|id| std::str::from_utf8(id).ok()) {
            found.entry(id.to_owned()).or_default().push(pid);
        }
    }
    found
}

/// SIGKILLs every process marked with `execution_id`, again until none is
/// left (a process may have forked in between); returns how many were killed.
pub fn kill_marked(execution_id: &str) -> usize {
    kill_marked_by(MARKER, execution_id)
}

/// SIGKILLs every process whose `marker` is `value`, again until none is left.
pub fn kill_marked_by(marker: &str, value: &str) -> usize {
    let mut killed = BTreeSet::new();
    for _ in 0..KILL_ROUNDS {
        let pids = processes_marked(marker).remove(value).unwrap_or_default();
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

/// Interrupts the runs of workers that are gone (`WorkerService::sweep`) and kills
/// what is left on this host of every run of this database that is not running:
/// those just interrupted, and any a crash left behind. Processes of running runs
/// belong to live workers, and marked processes of executions this database does
/// not know belong to another server on the host: both are left alone. `me` is this
/// process's worker, if it has one. Returns what the sweep did.
///
/// # Errors
/// [`ExecStoreError`] when the executions or workers cannot be read or written.
pub async fn recover(
    workers: &WorkerService,
    me: Option<&WorkerId>,
    executions: &Arc<dyn ExecutionRepository>,
) -> Result<Sweep, ExecStoreError> {
    let sweep = workers.sweep(me).await?;
    for id in marked_processes().into_keys() {
        let Ok(execution_id) = ExecutionId::parse(&id) else { continue };
        if executions.get(&execution_id).await?.is_some_and(|e| e.status != ExecutionStatus::Running) {
            let killed = kill_marked(&id);
            if killed > 0 {
                tracing::warn!(execution_id = %id, killed, "killed processes left by a run whose worker is gone");
            }
        }
    }
    Ok(sweep)
}
