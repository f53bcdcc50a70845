//! A run's workspace: one git worktree per repository of its trigger, from a
//! cached bare mirror (`mirror.rs`), at the commit its event asks for, under
//! `<clones_dir>/<key>/`. The key is the run's own id, or for a follow-up the
//! first run of its thread, so a resumed session finds its folder again.
//! Workspaces outlive their runs; `retention.rs` removes them.

mod git;
mod mirror;
mod retention;

pub use retention::{Retention, WorkspacePolicy};

use agented_executions::RunEnvironment;
use agented_triggers::GithubOrigin;
use std::path::{Path, PathBuf};

/// The file in a workspace naming the latest run that used it.
const LATEST: &str = ".agented-run";

/// A run's clone folder (empty when the trigger has no repositories).
#[derive(Debug)]
pub struct Workspace {
    checkouts: Vec<PathBuf>,
}

fn repo_name(url: &str) -> String {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or("repo");
    let name = last.strip_suffix(".git").unwrap_or(last);
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
    if clean.is_empty() || clean.starts_with('.') { "repo".to_owned() } else { clean }
}

/// What a run's workspace is made of.
pub struct WorkspaceRequest<'a> {
    /// Parent of the workspaces and of the mirrors.
    pub clones_dir: &'a Path,
    /// The workspace's folder name: the run's id, or its thread's first run's.
    pub key: &'a str,
    /// The run that uses it now.
    pub execution_id: &'a str,
    /// The trigger's repositories, in order.
    pub repositories: &'a [String],
    /// The GitHub event the run answers (the commit it checks out).
    pub github: Option<&'a GithubOrigin>,
}

impl Workspace {
    /// Gives each repository a worktree in `<clones_dir>/<key>/<name>`, or
    /// keeps the one already there (a later attempt, or a follow-up).
    ///
    /// # Errors
    /// A message naming the repository and git's own error; worktrees this call
    /// added are removed again.
    pub async fn prepare(request: &WorkspaceRequest<'_>, env: &RunEnvironment) -> Result<Self, String> {
        let mut workspace = Self { checkouts: Vec::new() };
        if request.repositories.is_empty() {
            return Ok(workspace);
        }
        let root = request.clones_dir.join(request.key);
        tokio::fs::create_dir_all(&root).await.map_err(|e| format!("{}: {e}", root.display()))?;
        // Written first: retention never takes a workspace whose latest run is still active.
        tokio::fs::write(root.join(LATEST), request.execution_id).await.map_err(|e| e.to_string())?;
        let only_one = request.repositories.len() == 1;
        let mut added = Vec::new();
        for (i, url) in request.repositories.iter().enumerate() {
            let mut target = root.join(repo_name(url));
            if workspace.checkouts.contains(&target) {
                target = root.join(format!("{}-{i}", repo_name(url)));
            }
            if !target.join(".git").exists() {
                let origin = request.github.filter(|o| o.has_checkout() && (only_one || o.is_of(url)));
                if let Err(e) = add(request.clones_dir, url, &target, origin, env).await {
                    for path in &added {
                        let _ = tokio::fs::remove_dir_all(path).await;
                    }
                    return Err(format!("could not check out {url}: {e}"));
                }
                added.push(target.clone());
            }
            workspace.checkouts.push(target);
        }
        Ok(workspace)
    }

    /// The worktrees, in the trigger's order.
    #[must_use]
    pub fn checkouts(&self) -> &[PathBuf] {
        &self.checkouts
    }
}

async fn add(
    clones_dir: &Path,
    url: &str,
    target: &Path,
    origin: Option<&GithubOrigin>,
    env: &RunEnvironment,
) -> Result<(), String> {
    let _ = tokio::fs::remove_dir_all(target).await;
    let mirror = mirror::Mirror::fetched(clones_dir, url, &repo_name(url), env).await?;
    let commit = mirror.resolve(origin, env).await?;
    mirror.add_worktree(target, &commit, env).await
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
    async fn a_failed_checkout_names_the_repository_and_leaves_no_worktree() {
        let dir = tempfile::tempdir().unwrap();
        let repositories = ["file:///definitely/not/a/repo".to_owned()];
        let request = WorkspaceRequest {
            clones_dir: dir.path(),
            key: "exec-x",
            execution_id: "exec-x",
            repositories: &repositories,
            github: None,
        };
        let err = Workspace::prepare(&request, &RunEnvironment::default()).await.unwrap_err();
        assert!(err.contains("could not check out file:///definitely/not/a/repo"), "{err}");
        assert!(!dir.path().join("exec-x").join("repo").exists());
    }
}
