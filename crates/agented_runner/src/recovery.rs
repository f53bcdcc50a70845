//! Start-up recovery: runs a previous process left `running` become
//! `interrupted`, and their leftover processes are killed. Leftovers are
//! found by process group *and* the `AGENTED_EXECUTION_ID` each run's
//! processes carry, so a reused process group id never hits a stranger.

use agented_executions::{ExecStoreError, ExecutionRepository, ExecutionStatus, Outcome};

/// Why a run ended with the server.
pub const INTERRUPTED: &str = "the server stopped while the run was in progress";
use agented_kernel::Clock;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::sync::Arc;

/// Processes in group `pgid` whose environment marks them as part of `execution_id`.
#[must_use]
pub fn leftover_processes(pgid: i32, execution_id: &str) -> Vec<i32> {
    let marker = format!("AGENTED_EXECUTION_ID={execution_id}");
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
            // Fields after the command name (which may contain spaces) start after the last ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return false };
            let pgrp = rest.split_whitespace().nth(2).and_then(|f| f.parse::<i32>().ok());
            pgrp == Some(pgid)
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == marker.as_bytes()))
        })
        .collect()
}

/// Marks every `running` execution `interrupted` and kills its leftovers;
/// returns how many were recovered.
///
/// # Errors
/// [`ExecStoreError`] when the executions cannot be read or written.
pub async fn recover_interrupted(
    executions: &Arc<dyn ExecutionRepository>,
    clock: &dyn Clock,
) -> Result<usize, ExecStoreError> {
    let running = executions.with_status(ExecutionStatus::Running).await?;
    for execution in &running {
        if let Some(pgid) = execution.pgid {
            let leftovers = leftover_processes(pgid, execution.execution_id.as_str());
            for pid in &leftovers {
                let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
            }
            if !leftovers.is_empty() {
                tracing::warn!(execution_id = %execution.execution_id, killed = leftovers.len(), "killed processes left by an interrupted run");
            }
        }
        let outcome = Outcome::closing(execution, ExecutionStatus::Interrupted, INTERRUPTED, clock.now());
        executions.finish(&execution.execution_id, &outcome).await?;
    }
    if !running.is_empty() {
        tracing::warn!(count = running.len(), "runs interrupted by the previous shutdown were marked interrupted");
    }
    Ok(running.len())
}
