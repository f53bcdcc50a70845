//! What a run is given of the tooling its trigger attaches, frozen when it is
//! queued (a later edit changes later runs only), and how each CLI gets it
//! ([`materialise`]): files in the run's private folder, flags and variables.
//!
//! Secrets stay names. A value that names a server variable as `${NAME}` is
//! written as a reference the CLI resolves from the run's environment (claude
//! and gemini expand `${NAME}`, opencode `{env:NAME}`, codex forwards variables
//! by name), and only the run's environment gets the value. File names, keys
//! and flags were checked against the CLIs (docs/tooling.md).

mod cli;
pub mod items;
pub mod mcp;

pub use agented_kernel::ToolingRefs;
use agented_kernel::{BackendType, ItemKind};
use async_trait::async_trait;
pub use cli::materialise;
pub use items::{GivenToolingItem, HookEvent, split_frontmatter};
pub use mcp::{GivenMcpServer, McpTransport, references, resolve};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a run was given, frozen with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTooling {
    /// MCP servers, in the trigger's order.
    #[serde(default)]
    pub mcp_servers: Vec<GivenMcpServer>,
    /// Skills, commands, hooks and rules: by kind, each kind in the trigger's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<GivenToolingItem>,
}

/// One item a run was given, as its record shows it: never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GivenItem {
    /// `mcp_server`, `skill`, `command`, `hook` or `rule`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl RunTooling {
    /// Whether the run was given nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.mcp_servers.is_empty() && self.items.is_empty()
    }

    /// The items of `kind`, in order.
    pub fn of(&self, kind: ItemKind) -> Vec<&GivenToolingItem> {
        self.items.iter().filter(|i| i.kind() == kind).collect()
    }

    /// What the run was given, by name and version.
    #[must_use]
    pub fn given(&self) -> Vec<GivenItem> {
        let servers = self.mcp_servers.iter().map(|s| GivenItem {
            kind: "mcp_server",
            id: s.id.as_str().to_owned(),
            name: s.name.clone(),
            version: s.version.clone(),
        });
        let items = self.items.iter().map(|i| GivenItem {
            kind: i.kind().as_str(),
            id: i.id.as_str().to_owned(),
            name: i.name.clone(),
            version: i.version.to_string(),
        });
        servers.chain(items).collect()
    }

    /// The server variables its definitions name, each once.
    #[must_use]
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.mcp_servers.iter().flat_map(GivenMcpServer::texts).flat_map(|t| references(t)).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The definitions a trigger's attachments name, as of now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// What a run gets.
    pub tooling: RunTooling,
    /// Attached but not given, each with why (deleted, disabled).
    pub left_out: Vec<String>,
}

/// Reads the tooling definitions attachments name.
#[async_trait]
pub trait ToolingSource: Send + Sync {
    /// The enabled definitions `refs` name, in order; the others in `left_out`.
    ///
    /// # Errors
    /// A message when the definitions cannot be read.
    async fn resolve(&self, refs: &ToolingRefs) -> Result<Resolved, String>;
}

/// A file a CLI reads, written into the run's private folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolingFile {
    /// Where.
    pub path: PathBuf,
    /// What (references, never values).
    pub content: String,
}

/// How a CLI gets a run's tooling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Materialised {
    /// Files to write before the CLI starts.
    pub files: Vec<ToolingFile>,
    /// Options, placed before the prompt.
    pub args: Vec<String>,
    /// Variables with fixed values (where the files are).
    pub env: BTreeMap<String, String>,
    /// Variables whose values come from the server's environment: name → a
    /// text of `${NAME}` references, resolved for the run only.
    pub secret_env: BTreeMap<String, String>,
    /// Items this CLI cannot be given, each with why (the run goes on without them).
    pub skipped: Vec<String>,
}

impl Materialised {
    /// The values of [`Self::secret_env`].
    ///
    /// # Errors
    /// The first variable that is not set in the server's environment.
    pub fn secret_values(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<BTreeMap<String, String>, String> {
        self.secret_env
            .iter()
            .map(|(name, template)| {
                resolve(template, lookup)
                    .map(|value| (name.clone(), value))
                    .map_err(|why| format!("an MCP server given to this run needs {name}: {why}"))
            })
            .collect()
    }
}

/// Where a preview says a run's files go.
pub const PREVIEW_DIR: &str = "<run>";

/// What a run of a trigger would get, shown before it runs: never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolingPreview {
    /// The CLI it is shown for (`custom` for a custom command, which gets none).
    pub backend: String,
    /// What would be given, by name and version.
    pub given: Vec<GivenItem>,
    /// Attached but not given, and why.
    pub left_out: Vec<String>,
    /// Options the CLI would get.
    pub args: Vec<String>,
    /// Variables with fixed values.
    pub env: BTreeMap<String, String>,
    /// Variables the run would get from the server's environment, by name.
    pub secrets: Vec<String>,
    /// Files written into the run's folder ([`PREVIEW_DIR`]).
    pub files: Vec<ToolingFile>,
    /// Why this CLI could not be given the tooling (the run would fail with it).
    pub error: Option<String>,
}

impl ToolingPreview {
    /// The preview of `resolved` for `cli` (`None`: a custom command).
    #[must_use]
    pub fn of(cli: Option<BackendType>, resolved: &Resolved) -> Self {
        let backend = cli.map_or("custom", BackendType::as_str).to_owned();
        let (m, error) = match materialise(cli, &resolved.tooling, Path::new(PREVIEW_DIR)) {
            Ok(m) => (m, None),
            Err(why) => (Materialised::default(), Some(why)),
        };
        let mut left_out = resolved.left_out.clone();
        left_out.extend(m.skipped);
        if cli.is_none() && !resolved.tooling.is_empty() {
            left_out.push("everything attached: a custom command backend gets no tooling".into());
        }
        Self {
            backend,
            given: if cli.is_some() { resolved.tooling.given() } else { Vec::new() },
            left_out,
            args: m.args,
            env: m.env,
            secrets: m.secret_env.into_keys().collect(),
            files: m.files,
            error,
        }
    }
}
