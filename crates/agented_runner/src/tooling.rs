//! The run's private folder for the tooling its CLI is given (MCP configuration):
//! written before the CLI starts, readable by this user only, removed when the
//! attempt ends. Its files hold references; the values go to the run's
//! environment only.

use agented_executions::tooling::{RunTooling, materialise};
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
