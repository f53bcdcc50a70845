//! Per-run clones of a trigger's repositories, under the run workspace (never
//! the data directory), removed when the run ends. git gets the runs' base
//! environment, not the server's.

use agented_executions::RunEnvironment;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// How long one shallow clone may take.
const CLONE_TIMEOUT: Duration = Duration::from_secs(300);

/// A run's clone folder (empty when the trigger has no repositories).
#[derive(Debug)]
pub struct Workspace {
    root: Option<PathBuf>,
    checkouts: Vec<PathBuf>,
}

fn repo_name(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or("repo");
    let name = last.strip_suffix(".git").unwrap_or(last);
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    if clean.is_empty() || clean.starts_with('.') { "repo".to_owned() } else { clean }
}

impl Workspace {
    /// Clones each repository (shallow) into `<clones_dir>/<execution_id>/<name>`.
    ///
    /// # Errors
    /// A message naming the repository and git's own error; nothing is left behind.
    pub async fn prepare(
        clones_dir: &Path,
        execution_id: &str,
        repositories: &[String],
        env: &RunEnvironment,
    ) -> Result<Self, String> {
        if repositories.is_empty() {
            return Ok(Self { root: None, checkouts: Vec::new() });
        }
        let root = clones_dir.join(execution_id);
        let mut workspace = Self { root: Some(root.clone()), checkouts: Vec::new() };
        for (i, url) in repositories.iter().enumerate() {
            let mut target = root.join(repo_name(url));
            if workspace.checkouts.contains(&target) {
                target = root.join(format!("{}-{i}", repo_name(url)));
            }
            if let Err(e) = clone(url, &target, env).await {
                workspace.remove().await;
                return Err(format!("could not clone {url}: {e}"));
            }
            workspace.checkouts.push(target);
        }
        Ok(workspace)
    }

    /// The cloned repositories, in the trigger's order.
    #[must_use]
    pub fn checkouts(&self) -> &[PathBuf] {
        &self.checkouts
    }

    /// Deletes the clone folder.
    pub async fn remove(&self) {
        if let Some(root) = &self.root
            && let Err(e) = tokio::fs::remove_dir_all(root).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %root.display(), error = %e, "could not remove a run workspace");
        }
    }
}

async fn clone(url: &str, target: &Path, env: &RunEnvironment) -> Result<(), String> {
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|e| e.to_string())?;
    }
    let mut cmd = Command::new("git");
    cmd.args(["clone", "--depth", "1", "--quiet", "--no-tags", "--", url])
        .arg(target)
        .env_clear()
        .envs(env.vars())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("git could not be started: {e}"))?;
    let output = tokio::time::timeout(CLONE_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("git clone took longer than {} s", CLONE_TIMEOUT.as_secs()))?
        .map_err(|e| e.to_string())?;
    if output.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_folders_are_named_after_the_repository() {
        assert_eq!(repo_name("https://github.com/acme/api.git"), "api");
        assert_eq!(repo_name("file:///srv/git/tools/"), "tools");
        assert_eq!(repo_name("file:///x/.."), "repo");
    }

    #[tokio::test]
    async fn a_failed_clone_names_the_repository_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let err = Workspace::prepare(
            dir.path(),
            "exec-x",
            &["file:///definitely/not/a/repo".into()],
            &RunEnvironment::default(),
        )
        .await
        .unwrap_err();
        assert!(err.contains("could not clone file:///definitely/not/a/repo"), "{err}");
        assert!(!dir.path().join("exec-x").exists());
    }
}
