//! Which workspaces stay after their runs: the newest succeeded ones (a
//! follow-up resumes there), the newest failed ones (for inspection), and
//! together with the mirrors no more than the disk cap, oldest evicted first.
//! A workspace whose latest run is still active is never touched.

use super::{LATEST, mirror};
use agented_executions::{
    ExecutionRepository, ExecutionStatus, KeptMirror, KeptWorkspace, RunEnvironment, WorkspaceInventory,
    WorkspaceReport,
};
use agented_kernel::ExecutionId;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many workspaces are kept, and how much disk they may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkspacePolicy {
    /// Workspaces of succeeded runs kept (for follow-ups).
    pub keep_succeeded: usize,
    /// Workspaces of runs that did not succeed kept (for inspection).
    pub keep_failed: usize,
    /// Bytes the workspaces and mirrors may take together; the oldest workspaces go first.
    pub max_bytes: u64,
}

/// One workspace as retention sees it.
#[derive(Debug, Clone, PartialEq)]
struct Kept {
    path: PathBuf,
    ended: DateTime<Utc>,
    succeeded: bool,
}

/// Applies the policy after runs end; one sweep at a time.
#[derive(Clone)]
pub struct Retention {
    clones_dir: PathBuf,
    policy: WorkspacePolicy,
    executions: Arc<dyn ExecutionRepository>,
    env: RunEnvironment,
    running: Arc<tokio::sync::Mutex<()>>,
}

impl Retention {
    /// Retention of the workspaces under `clones_dir`.
    #[must_use]
    pub fn new(
        clones_dir: PathBuf,
        policy: WorkspacePolicy,
        executions: Arc<dyn ExecutionRepository>,
        env: RunEnvironment,
    ) -> Self {
        Self { clones_dir, policy, executions, env, running: Arc::default() }
    }

    /// Removes the workspaces the policy does not keep; returns how many.
    pub async fn sweep(&self) -> usize {
        let _one_at_a_time = self.running.lock().await;
        let mut ended = self.ended_workspaces().await;
        ended.sort_by_key(|w| std::cmp::Reverse(w.ended));
        let (mut succeeded, mut failed) = (0, 0);
        let mut doomed = Vec::new();
        let mut kept = Vec::new();
        for w in ended {
            let count = if w.succeeded { &mut succeeded } else { &mut failed };
            *count += 1;
            let limit = if w.succeeded { self.policy.keep_succeeded } else { self.policy.keep_failed };
            if *count > limit { doomed.push(w) } else { kept.push(w) }
        }
        let mut total = disk_usage(self.clones_dir.clone()).await;
        for w in &doomed {
            total = total.saturating_sub(disk_usage(w.path.clone()).await);
        }
        // Oldest first, while over the cap.
        while total > self.policy.max_bytes
            && let Some(oldest) = kept.pop()
        {
            total = total.saturating_sub(disk_usage(oldest.path.clone()).await);
            doomed.push(oldest);
        }
        for w in &doomed {
            if let Err(e) = tokio::fs::remove_dir_all(&w.path).await {
                tracing::warn!(path = %w.path.display(), error = %e, "could not remove a run workspace");
            }
        }
        if !doomed.is_empty() {
            mirror::prune_all(&self.clones_dir, &self.env).await;
            tracing::info!(removed = doomed.len(), "run workspaces cleaned up");
        }
        doomed.len()
    }

    /// Workspaces whose latest run has ended, with when and how.
    async fn ended_workspaces(&self) -> Vec<Kept> {
        let mut found = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(&self.clones_dir).await else { return found };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
            if !name.starts_with("exec-") || !path.is_dir() {
                continue;
            }
            let latest = tokio::fs::read_to_string(path.join(LATEST)).await.unwrap_or(name);
            let Ok(id) = ExecutionId::parse(latest.trim()) else { continue };
            match self.executions.get(&id).await {
                Ok(Some(e)) if e.status.is_terminal() => found.push(Kept {
                    path,
                    ended: e.finished_at.unwrap_or(e.queued_at),
                    succeeded: e.status == ExecutionStatus::Success,
                }),
                // Active (or unreadable now): left alone.
                Ok(Some(_)) | Err(_) => {}
                // A run the store does not know (deleted, another database): nothing needs it.
                Ok(None) => found.push(Kept { path, ended: DateTime::<Utc>::MIN_UTC, succeeded: false }),
            }
        }
        found
    }
}

#[async_trait::async_trait]
impl WorkspaceInventory for Retention {
    async fn report(&self) -> WorkspaceReport {
        let mut report = WorkspaceReport {
            max_bytes: self.policy.max_bytes,
            keep_succeeded: self.policy.keep_succeeded,
            keep_failed: self.policy.keep_failed,
            ..WorkspaceReport::default()
        };
        let Ok(mut entries) = tokio::fs::read_dir(&self.clones_dir).await else { return report };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let path = entry.path();
            let Some(key) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
            if !key.starts_with("exec-") || !path.is_dir() {
                continue;
            }
            let latest = tokio::fs::read_to_string(path.join(LATEST)).await.unwrap_or_else(|_| key.clone());
            let latest = ExecutionId::parse(latest.trim()).ok();
            let run = match &latest {
                Some(id) => self.executions.get(id).await.ok().flatten(),
                None => None,
            };
            let (status, ended_at) = (run.as_ref().map(|e| e.status), run.and_then(|e| e.finished_at));
            report.workspaces.push(KeptWorkspace { key, latest, status, ended_at, bytes: disk_usage(path).await });
        }
        // Active ones (no end) first, then the latest ended first.
        report.workspaces.sort_by_key(|w| std::cmp::Reverse(w.ended_at.unwrap_or(DateTime::<Utc>::MAX_UTC)));
        if let Ok(mut mirrors) = tokio::fs::read_dir(self.clones_dir.join(mirror::MIRRORS)).await {
            while let Ok(Some(entry)) = mirrors.next_entry().await {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "git") && path.is_dir() {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    report.mirrors.push(KeptMirror { name, bytes: disk_usage(path).await });
                }
            }
        }
        report.mirrors.sort_by(|a, b| a.name.cmp(&b.name));
        report.total_bytes =
            report.workspaces.iter().map(|w| w.bytes).chain(report.mirrors.iter().map(|m| m.bytes)).sum();
        report
    }
}

/// Bytes of the files under `path` (symbolic links not followed).
async fn disk_usage(path: PathBuf) -> u64 {
    tokio::task::spawn_blocking(move || usage_of(&path)).await.unwrap_or(0)
}

fn usage_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| entries.flatten().map(|e| usage_of(&e.path())).sum())
}
