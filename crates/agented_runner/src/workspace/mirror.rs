//! The cached bare mirror of each repository runs work on: cloned once,
//! fetched incrementally before each new worktree, locked (`flock`, so
//! across processes too) while it is fetched or a worktree is added.

use super::git::git;
use agented_executions::RunEnvironment;
use agented_triggers::GithubOrigin;
use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The folder of mirrors under the clones folder.
pub const MIRRORS: &str = "mirrors";

/// A locked, freshly fetched mirror.
pub struct Mirror {
    /// The bare repository.
    pub dir: PathBuf,
    _lock: Flock<File>,
}

/// `<clones>/mirrors/<name>-<hash of the URL>.git`: one per URL, readable by people.
pub fn path_for(clones_dir: &Path, url: &str, name: &str) -> PathBuf {
    let hash = hex::encode(&Sha256::digest(url.as_bytes())[..8]);
    clones_dir.join(MIRRORS).join(format!("{name}-{hash}.git"))
}

impl Mirror {
    /// Locks the mirror of `url`, then clones it (first use) or fetches it.
    ///
    /// # Errors
    /// git's message; a failed first clone leaves nothing behind.
    pub async fn fetched(clones_dir: &Path, url: &str, name: &str, env: &RunEnvironment) -> Result<Self, String> {
        let dir = path_for(clones_dir, url, name);
        let folder = dir.parent().unwrap_or(clones_dir).to_owned();
        tokio::fs::create_dir_all(&folder).await.map_err(|e| format!("{}: {e}", folder.display()))?;
        let lock_path = dir.with_extension("lock");
        let lock = tokio::task::spawn_blocking(move || {
            let file = File::options().create(true).truncate(false).write(true).open(&lock_path)?;
            Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| std::io::Error::from(errno))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("could not lock the mirror of {url}: {e}"))?;
        if dir.join("HEAD").exists() {
            git(Some(&dir), &["fetch", "--prune", "--quiet", "origin"], env).await?;
        } else {
            let partial = dir.with_extension("partial");
            let _ = tokio::fs::remove_dir_all(&partial).await;
            let cloned = git(None, &["clone", "--mirror", "--quiet", "--", url, &partial.to_string_lossy()], env).await;
            if let Err(e) = cloned {
                let _ = tokio::fs::remove_dir_all(&partial).await;
                return Err(e);
            }
            tokio::fs::rename(&partial, &dir).await.map_err(|e| e.to_string())?;
        }
        Ok(Self { dir, _lock: lock })
    }

    /// The commit a run checks out: the origin's commit, else its pull request's
    /// head ref, else the default branch.
    ///
    /// # Errors
    /// What is missing, for the run's error message.
    pub async fn resolve(&self, origin: Option<&GithubOrigin>, env: &RunEnvironment) -> Result<String, String> {
        let wanted =
            origin.and_then(|o| o.commit.clone().or_else(|| o.fetch_ref())).unwrap_or_else(|| "HEAD".to_owned());
        let spec = format!("{wanted}^{{commit}}");
        git(Some(&self.dir), &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec], env)
            .await
            .ok()
            .filter(|sha| !sha.is_empty())
            .ok_or_else(|| match origin {
                Some(_) => format!("{wanted} is not in the repository (was it force-pushed away?)"),
                None => "the repository has no default branch to check out".to_owned(),
            })
    }

    /// Adds a detached worktree of `commit` at `target`.
    ///
    /// # Errors
    /// git's message.
    pub async fn add_worktree(&self, target: &Path, commit: &str, env: &RunEnvironment) -> Result<(), String> {
        let target = target.to_string_lossy();
        git(Some(&self.dir), &["worktree", "add", "--detach", "--quiet", &target, commit], env).await.map(drop)
    }
}

/// Forgets worktrees whose folders are gone, in every mirror.
pub async fn prune_all(clones_dir: &Path, env: &RunEnvironment) {
    let Ok(mut entries) = tokio::fs::read_dir(clones_dir.join(MIRRORS)).await else { return };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let dir = entry.path();
        if dir.extension().is_some_and(|e| e == "git")
            && let Err(e) = git(Some(&dir), &["worktree", "prune"], env).await
        {
            tracing::warn!(mirror = %dir.display(), error = %e, "could not prune a mirror's worktrees");
        }
    }
}
