//! `PluginFiles` on this machine: a local folder read as text files (bounded, links
//! and `.git` left out), and a git repository cloned shallowly into a private
//! temporary folder with a run's environment (never the server's secrets), read the
//! same way, then removed.

use agented_tooling::PluginFiles;
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most files a plugin or marketplace may have.
pub const MAX_FILES: usize = 2000;
/// The most bytes they may have together.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// How long a clone may take.
pub const CLONE_TIMEOUT: Duration = Duration::from_secs(120);

/// Reads plugins from folders and repositories.
#[derive(Debug, Clone)]
pub struct LocalPluginFiles {
    /// Where clones are made (each in a fresh folder, removed after).
    pub scratch: PathBuf,
    /// `PATH`, to find git.
    pub path_env: OsString,
    /// A run's base environment: git sees nothing else.
    pub base_env: BTreeMap<String, String>,
}

#[async_trait]
impl PluginFiles for LocalPluginFiles {
    async fn folder(&self, path: &str) -> Result<BTreeMap<String, String>, String> {
        let root = PathBuf::from(path.trim());
        if !root.is_absolute() {
            return Err("must be an absolute path".into());
        }
        tokio::task::spawn_blocking(move || read_tree(&root)).await.map_err(|e| e.to_string())?
    }

    async fn git(&self, url: &str, reference: Option<&str>) -> Result<BTreeMap<String, String>, String> {
        let local = url.strip_prefix("file://").is_some_and(|p| Path::new(p).is_absolute());
        if !(url.starts_with("https://") || local) || url.chars().any(char::is_whitespace) {
            return Err("must be an https:// URL or a file:// URL of a local repository".into());
        }
        if reference.is_some_and(|r| r.starts_with('-') || r.is_empty() || r.chars().any(char::is_whitespace)) {
            return Err("the reference must be a branch or tag name".into());
        }
        std::fs::create_dir_all(&self.scratch).map_err(|e| format!("cannot prepare a folder for the clone: {e}"))?;
        let dir = tempfile::Builder::new()
            .prefix("plugin-")
            .tempdir_in(&self.scratch)
            .map_err(|e| format!("cannot prepare a folder for the clone: {e}"))?;
        let target = dir.path().join("repo");
        let mut command = tokio::process::Command::new("git");
        command.args(["clone", "--quiet", "--depth", "1", "--no-tags"]);
        if let Some(r) = reference {
            command.args(["--branch", r]);
        }
        command.arg("--").arg(url).arg(&target);
        let env: HashMap<&str, &str> = self.base_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        command
            .env_clear()
            .envs(env)
            .env("PATH", &self.path_env)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let output = tokio::time::timeout(CLONE_TIMEOUT, command.output())
            .await
            .map_err(|_| format!("the clone took longer than {}s", CLONE_TIMEOUT.as_secs()))?
            .map_err(|e| format!("git could not be started: {e}"))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            return Err(format!("git clone failed: {}", said.trim().lines().last().unwrap_or("no reason given")));
        }
        let files = tokio::task::spawn_blocking(move || read_tree(&target)).await.map_err(|e| e.to_string())?;
        drop(dir);
        files
    }
}

/// The text files under `root`, by path relative to it: `.git` left out; a link, a
/// binary file or more than [`MAX_FILES`] or [`MAX_BYTES`] refused (nothing is dropped unsaid).
fn read_tree(root: &Path) -> Result<BTreeMap<String, String>, String> {
    if !root.is_dir() {
        return Err(format!("{} is not a folder", root.display()));
    }
    let mut files = BTreeMap::new();
    let mut budget = MAX_BYTES;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).map_err(|e| e.to_string())?.to_string_lossy().into_owned();
            let kind = entry.file_type().map_err(|e| format!("cannot read {relative}: {e}"))?;
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
                continue;
            }
            if !kind.is_file() {
                return Err(format!("{relative} is a link or special file: plugins with those are not imported"));
            }
            let size = entry.metadata().map_or(u64::MAX, |m| m.len());
            if size > budget || files.len() >= MAX_FILES {
                return Err(format!("more than {MAX_FILES} files or {MAX_BYTES} bytes"));
            }
            budget -= size;
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {relative}: {e}"))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("{relative} is not text: plugins with binary files are not imported"))?;
            files.insert(relative, text);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_read_as_text_without_git_and_links_or_binaries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("skills/x")).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join("skills/x/SKILL.md"), "x").unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref").unwrap();
        let files = read_tree(dir.path()).unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["skills/x/SKILL.md"]);
        std::fs::write(dir.path().join("icon.png"), [0xff, 0xd8, 0x00]).unwrap();
        assert!(read_tree(dir.path()).unwrap_err().starts_with("icon.png is not text"));
        std::fs::remove_file(dir.path().join("icon.png")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd")).unwrap();
        assert!(read_tree(dir.path()).unwrap_err().starts_with("passwd is a link"));
        assert!(read_tree(&dir.path().join("nowhere")).unwrap_err().ends_with("is not a folder"));
    }
}
