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
    /// For the run's log: what this CLI is not given and why, and what may keep it
    /// from reading what it is given.
    pub notes: Vec<String>,
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
        let mut notes: Vec<String> = given.skipped.iter().map(|why| format!("not given to this CLI: {why}")).collect();
        if given.files.is_empty() && given.args.is_empty() && given.env.is_empty() {
            return Ok(Self { dir: None, args: Vec::new(), env: Vec::new(), notes });
        }
        if given.env.contains_key("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
            && let Some(open) = dir.ancestors().skip(1).find(|d| writable_by_others(d))
        {
            notes.push(format!(
                "gemini ignores a settings file under {}, which others may write to: its MCP servers and hooks \
                 will be missing (give Agented a data directory outside it)",
                open.display()
            ));
        }
        let secrets = given.secret_values(lookup)?;
        let cannot = |e: std::io::Error| format!("the run's tooling folder {} cannot be written: {e}", dir.display());
        // Another attempt of this run may have left it: start clean.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(cannot)?;
        let folder = Self {
            dir: Some(dir.clone()),
            args: given.args,
            env: given.env.into_iter().chain(secrets).collect(),
            notes,
        };
        for file in &given.files {
            if let Some(parent) = file.path.parent() {
                std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(cannot)?;
            }
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

/// Whether group or others may write to `dir` (gemini refuses system settings below one).
fn writable_by_others(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o022 != 0)
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
    use agented_executions::tooling::{GivenMcpServer, GivenToolingItem, McpTransport};
    use agented_kernel::{ItemId, ItemKind, McpServerId, TriggerId};
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
            items: Vec::new(),
        }
    }

    fn item(kind: ItemKind, name: &str, content: &str) -> GivenToolingItem {
        GivenToolingItem {
            id: ItemId::generate(kind),
            name: name.into(),
            version: 1,
            description: Some("d".into()),
            content: content.into(),
            files: BTreeMap::from([("scripts/run.sh".into(), "echo".into())]),
            event: None,
            matcher: None,
            arguments: None,
        }
    }

    #[test]
    fn nested_files_get_private_folders_and_what_the_cli_cannot_take_is_noted() {
        let data = tempfile::tempdir().unwrap();
        let id = ExecutionId::generate(&TriggerId::generate(), chrono::Utc::now());
        // No MCP server: gemini's settings file (which minds the folders above, here /tmp) is not needed.
        let given = RunTooling {
            mcp_servers: Vec::new(),
            items: vec![item(ItemKind::Skill, "review", "Review."), item(ItemKind::Rule, "tabs", "Tabs.")],
        };
        let folder = ToolingFolder::prepare(data.path(), &id, Some(BackendType::Gemini), &given, &|_| Some("v".into()));
        let folder = folder.unwrap();
        let dir = folder.dir().unwrap();
        let rules = dir.join("gemini-rules");
        assert_eq!(std::fs::metadata(&rules).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::read_to_string(rules.join("GEMINI.md")).unwrap(), "## tabs\n\nTabs.\n");
        assert_eq!(
            folder.notes,
            ["not given to this CLI: skill 'review': gemini reads skills only from its home or the repository"]
        );
        let claude = ToolingFolder::prepare(data.path(), &id, Some(BackendType::Claude), &given, &|_| Some("v".into()));
        let claude = claude.unwrap();
        let script = claude.dir().unwrap().join("claude-plugin/skills/review/scripts/run.sh");
        assert_eq!(std::fs::read_to_string(script).unwrap(), "echo");
        assert!(claude.notes.is_empty());
    }

    #[test]
    fn gemini_settings_under_a_folder_others_may_write_are_noted() {
        let data = tempfile::tempdir().unwrap();
        let open = data.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let id = ExecutionId::generate(&TriggerId::generate(), chrono::Utc::now());
        let lookup = |_: &str| Some("v".to_owned());
        let folder = ToolingFolder::prepare(&open, &id, Some(BackendType::Gemini), &tooling(), &lookup).unwrap();
        assert_eq!(folder.notes.len(), 1);
        assert!(folder.notes[0].starts_with(&format!("gemini ignores a settings file under {}", open.display())));
        let claude = ToolingFolder::prepare(&open, &id, Some(BackendType::Claude), &tooling(), &lookup).unwrap();
        assert!(claude.notes.is_empty(), "only gemini minds");
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
