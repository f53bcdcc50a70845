//! The run's private folder for the tooling its CLI is given (MCP configuration):
//! written before the CLI starts, readable by this user only, removed when the
//! attempt ends. Its files hold references; the values go to the run's
//! environment only.

use agented_executions::tooling::{RunTooling, materialise};
use agented_executions::{ExecStoreError, ExecutionRepository, ExecutionStatus};
use agented_kernel::{BackendType, ExecutionId};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What the CLI gets: options, variables, and the folder (removed on drop).
#[derive(Debug, Default)]
pub(crate) struct ToolingFolder {
    dir: Option<PathBuf>,
    /// Options for the CLI, before its prompt.
    pub args: Vec<String>,
    /// Variables: where the files are, and the values references need.
    pub env: Vec<(String, String)>,
}

impl ToolingFolder {
    /// Writes what `cli` needs of `tooling` under `<data_dir>/run-tooling/<id>`.
    ///
    /// # Errors
    /// Why the CLI cannot be given its tooling (the run fails with it).
    pub(crate) fn prepare(
        data_dir: &Path,
        id: &ExecutionId,
        cli: Option<BackendType>,
        tooling: &RunTooling,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let dir = data_dir.join("run-tooling").join(id.as_str());
        let given = materialise(cli, tooling, &dir)?;
        if given == agented_executions::tooling::Materialised::default() {
            return Ok(Self::default());
        }
        let secrets = given.secret_values(lookup)?;
        let cannot = |e: std::io::Error| format!("the run's tooling folder {} cannot be written: {e}", dir.display());
        // Another attempt of this run may have left it: start clean.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(cannot)?;
        let folder =
            Self { dir: Some(dir.clone()), args: given.args, env: given.env.into_iter().chain(secrets).collect() };
        for file in &given.files {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file.path)
                .map_err(cannot)?;
            std::io::Write::write_all(&mut out, file.content.as_bytes()).map_err(cannot)?;
        }
        Ok(folder)
    }

    /// The folder, for a sandbox to show the CLI.
    pub(crate) fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// Removes the tooling folders under `data_dir` whose run is not running: left by a
/// process killed mid-run (they hold references, never values). Folders of running
/// runs belong to live workers; returns how many were removed.
///
/// # Errors
/// [`ExecStoreError`] when an execution cannot be read.
pub async fn sweep_folders(data_dir: &Path, executions: &dyn ExecutionRepository) -> Result<usize, ExecStoreError> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("run-tooling")) else { return Ok(0) };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| ExecutionId::parse(n).ok()) else { continue };
        if executions.get(&id).await?.is_some_and(|e| e.status == ExecutionStatus::Running) {
            continue;
        }
        if std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

impl Drop for ToolingFolder {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir
            && let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %dir.display(), error = %e, "a run's tooling folder could not be removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agented_executions::tooling::{GivenMcpServer, McpTransport};
    use agented_kernel::{McpServerId, TriggerId};
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;

    fn tooling() -> RunTooling {
        RunTooling {
            mcp_servers: vec![GivenMcpServer {
                id: McpServerId::generate(),
                name: "docs".into(),
                version: "v".into(),
                server_type: McpTransport::Stdio,
                command: Some("docs-mcp".into()),
                args: vec![],
                env: BTreeMap::from([("TOKEN".into(), "${DOCS_TOKEN}".into())]),
                url: None,
                headers: BTreeMap::new(),
                timeout_ms: 30_000,
            }],
        }
    }

    #[tokio::test]
    async fn a_sweep_removes_the_folders_of_runs_that_are_not_running() {
        use agented_executions::fakes::{MemoryExecutions, new_execution};
        let data = tempfile::tempdir().unwrap();
        let store = MemoryExecutions::default();
        let trigger = TriggerId::generate();
        let mut ids = Vec::new();
        for running in [true, false] {
            let new = new_execution(&trigger, chrono::Utc::now(), BackendType::Claude, Vec::new());
            store.insert(&new).await.unwrap();
            if running {
                store
                    .claim(&new.execution_id, &agented_kernel::WorkerId::generate(), 1, chrono::Utc::now())
                    .await
                    .unwrap();
            }
            std::fs::create_dir_all(data.path().join("run-tooling").join(new.execution_id.as_str())).unwrap();
            ids.push(new.execution_id);
        }
        let unknown = ExecutionId::generate(&trigger, chrono::Utc::now());
        std::fs::create_dir_all(data.path().join("run-tooling").join(unknown.as_str())).unwrap();
        assert_eq!(sweep_folders(data.path(), &store).await.unwrap(), 2);
        let left: Vec<String> = std::fs::read_dir(data.path().join("run-tooling"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [ids[0].to_string()], "only the running run's folder stays");
        assert_eq!(sweep_folders(&data.path().join("nowhere"), &store).await.unwrap(), 0);
    }

    #[test]
    fn the_folder_is_private_holds_references_and_goes_with_the_attempt() {
        let data = tempfile::tempdir().unwrap();
        let id = ExecutionId::generate(&TriggerId::generate(), chrono::Utc::now());
        let lookup = |n: &str| (n == "DOCS_TOKEN").then(|| "s3cret".to_owned());
        let folder = ToolingFolder::prepare(data.path(), &id, Some(BackendType::Claude), &tooling(), &lookup).unwrap();
        let dir = folder.dir().unwrap().to_owned();
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        let file = dir.join("claude-mcp.json");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("${DOCS_TOKEN}") && !text.contains("s3cret"));
        assert_eq!(folder.env, [("DOCS_TOKEN".to_owned(), "s3cret".to_owned())]);
        drop(folder);
        assert!(!dir.exists());

        let missing = ToolingFolder::prepare(data.path(), &id, Some(BackendType::Claude), &tooling(), &|_| None);
        assert!(missing.unwrap_err().contains("DOCS_TOKEN is not set"));
        let none = ToolingFolder::prepare(data.path(), &id, None, &tooling(), &lookup).unwrap();
        assert!(none.dir().is_none() && none.args.is_empty());
    }
}
