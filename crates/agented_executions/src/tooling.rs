//! What a run is given of the tooling its trigger attaches, frozen when it is
//! queued (a later edit changes later runs only), and how each CLI gets it
//! ([`materialise`]): files in the run's private folder, flags and variables.
//!
//! Secrets stay names. A value that names a server variable as `${NAME}` is
//! written as a reference the CLI resolves from the run's environment (claude
//! and gemini expand `${NAME}`, opencode `{env:NAME}`, codex forwards variables
//! by name), and only the run's environment gets the value. File names, keys
//! and flags were checked against the CLIs (docs/tooling.md).

pub use agented_kernel::ToolingRefs;
use agented_kernel::{BackendType, McpServerId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How a run talks to an MCP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum McpTransport {
    /// A process started with the run, JSON-RPC on its stdin and stdout.
    Stdio,
    /// Streamable HTTP at a URL.
    Http,
    /// The older HTTP with server-sent events.
    Sse,
}

impl McpTransport {
    /// `stdio`, `http` or `sse` (the original's `server_type`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
            Self::Sse => "sse",
        }
    }

    /// The transport named `name`.
    ///
    /// # Errors
    /// The message for an unknown name.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "stdio" => Ok(Self::Stdio),
            "http" => Ok(Self::Http),
            "sse" => Ok(Self::Sse),
            other => Err(format!("unknown server_type '{other}': expected stdio, http or sse")),
        }
    }
}

/// The `${NAME}` references in `value`, in order.
#[must_use]
pub fn references(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        found.push(after[..end].to_owned());
        rest = &after[end + 1..];
    }
    found
}

/// `value` with each `${NAME}` replaced by what `lookup` gives.
///
/// # Errors
/// The first name `lookup` does not know.
pub fn resolve(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        out.push_str(&rest[..start]);
        out.push_str(&lookup(name).ok_or_else(|| format!("{name} is not set in the server's environment"))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// An MCP server as a run was given it: its definition when the run was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenMcpServer {
    /// `mcp-…`.
    pub id: McpServerId,
    /// Its key in the CLI's configuration.
    pub name: String,
    /// The definition's version: when it was last changed.
    pub version: String,
    /// How it is reached.
    pub server_type: McpTransport,
    /// stdio: the program.
    #[serde(default)]
    pub command: Option<String>,
    /// stdio: its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// stdio: its environment (values may be `${NAME}` references).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// http, sse: where.
    #[serde(default)]
    pub url: Option<String>,
    /// http, sse: headers (values may be `${NAME}` references).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// How long it gets to start.
    pub timeout_ms: u32,
}

impl GivenMcpServer {
    /// Every text of its definition, where references may be.
    fn texts(&self) -> impl Iterator<Item = &String> {
        self.command.iter().chain(&self.args).chain(self.env.values()).chain(&self.url).chain(self.headers.values())
    }
}

/// What a run was given, frozen with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTooling {
    /// MCP servers, in the trigger's order.
    #[serde(default)]
    pub mcp_servers: Vec<GivenMcpServer>,
}

/// One item a run was given, as its record shows it: never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GivenItem {
    /// `mcp_server`.
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
        self.mcp_servers.is_empty()
    }

    /// What the run was given, by name and version.
    #[must_use]
    pub fn given(&self) -> Vec<GivenItem> {
        self.mcp_servers
            .iter()
            .map(|s| GivenItem {
                kind: "mcp_server",
                id: s.id.as_str().to_owned(),
                name: s.name.clone(),
                version: s.version.clone(),
            })
            .collect()
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

/// The file names inside the run's folder.
pub const CLAUDE_MCP_FILE: &str = "claude-mcp.json";
/// Gemini's system settings (they add to the user's and the project's).
pub const GEMINI_SETTINGS_FILE: &str = "gemini-settings.json";
/// OpenCode's custom configuration (merged with the user's).
pub const OPENCODE_CONFIG_FILE: &str = "opencode.json";

/// How `cli` gets `tooling`, its files in `dir`; `None`, a custom command, gets nothing.
///
/// # Errors
/// What this CLI cannot be given, naming the server (codex takes no sse server and
/// no reference in a command, argument or URL).
pub fn materialise(cli: Option<BackendType>, tooling: &RunTooling, dir: &Path) -> Result<Materialised, String> {
    let servers = &tooling.mcp_servers;
    let mut out = Materialised::default();
    let Some(cli) = cli else { return Ok(out) };
    if servers.is_empty() {
        return Ok(out);
    }
    let by_name = |entry: fn(&GivenMcpServer) -> Value| {
        Value::Object(servers.iter().map(|s| (s.name.clone(), entry(s))).collect::<Map<_, _>>())
    };
    let referenced = || tooling.secret_names().into_iter().map(|n| (n.clone(), format!("${{{n}}}"))).collect();
    match cli {
        BackendType::Claude => {
            let path = dir.join(CLAUDE_MCP_FILE);
            out.files.push(file(&path, &json!({ "mcpServers": by_name(claude_entry) })));
            out.args = vec!["--strict-mcp-config".into(), "--mcp-config".into(), path.display().to_string()];
            out.secret_env = referenced();
        }
        BackendType::Gemini => {
            let path = dir.join(GEMINI_SETTINGS_FILE);
            out.files.push(file(&path, &json!({ "mcpServers": by_name(gemini_entry) })));
            out.args = servers.iter().map(|s| format!("--allowed-mcp-server-names={}", s.name)).collect();
            out.env.insert("GEMINI_CLI_SYSTEM_SETTINGS_PATH".into(), path.display().to_string());
            out.secret_env = referenced();
        }
        BackendType::Opencode => {
            let path = dir.join(OPENCODE_CONFIG_FILE);
            let config = json!({ "$schema": "https://opencode.ai/config.json", "mcp": by_name(opencode_entry) });
            out.files.push(file(&path, &config));
            out.env.insert("OPENCODE_CONFIG".into(), path.display().to_string());
            out.secret_env = referenced();
        }
        BackendType::Codex => {
            for server in servers {
                let table = codex_entry(server, &mut out.secret_env)?;
                out.args.extend(["-c".to_owned(), format!("mcp_servers.{}={table}", server.name)]);
            }
        }
    }
    Ok(out)
}

fn file(path: &Path, value: &Value) -> ToolingFile {
    let mut content = serde_json::to_string_pretty(value).unwrap_or_default();
    content.push('\n');
    ToolingFile { path: path.to_owned(), content }
}

/// claude `--mcp-config`: `command`/`args`/`env`, or `type` with `url`/`headers`; `${NAME}` expanded by claude.
fn claude_entry(s: &GivenMcpServer) -> Value {
    match s.server_type {
        McpTransport::Stdio => json!({ "command": s.command, "args": s.args, "env": s.env }),
        remote => json!({ "type": remote.as_str(), "url": s.url, "headers": s.headers }),
    }
}

/// gemini `mcpServers`: `command`/`args`/`env`, `httpUrl` (streamable) or `url` (sse),
/// `headers`, `timeout` in ms; `${NAME}` expanded by gemini.
fn gemini_entry(s: &GivenMcpServer) -> Value {
    match s.server_type {
        McpTransport::Stdio => json!({ "command": s.command, "args": s.args, "env": s.env, "timeout": s.timeout_ms }),
        McpTransport::Http => json!({ "httpUrl": s.url, "headers": s.headers, "timeout": s.timeout_ms }),
        McpTransport::Sse => json!({ "url": s.url, "headers": s.headers, "timeout": s.timeout_ms }),
    }
}

/// opencode `mcp`: `local` with the command as an array and `environment`, or `remote`
/// with `url`/`headers`; references written as opencode's `{env:NAME}`.
fn opencode_entry(s: &GivenMcpServer) -> Value {
    let text = |v: &String| Value::String(opencode_references(v));
    let map = |m: &BTreeMap<String, String>| Value::Object(m.iter().map(|(k, v)| (k.clone(), text(v))).collect());
    match s.server_type {
        McpTransport::Stdio => json!({
            "type": "local",
            "command": s.command.iter().chain(&s.args).map(text).collect::<Vec<_>>(),
            "environment": map(&s.env),
            "enabled": true,
            "timeout": s.timeout_ms,
        }),
        _ => json!({
            "type": "remote",
            "url": s.url.as_ref().map(text),
            "headers": map(&s.headers),
            "enabled": true,
            "timeout": s.timeout_ms,
        }),
    }
}

fn opencode_references(value: &str) -> String {
    references(value).iter().fold(value.to_owned(), |v, n| v.replace(&format!("${{{n}}}"), &format!("{{env:{n}}}")))
}

/// codex `mcp_servers.NAME` as an inline TOML table. Codex reads no references, so a
/// referenced environment value is forwarded by name (`env_vars`), a bearer token or a
/// whole header value is read from a variable (`bearer_token_env_var`, `env_http_headers`).
fn codex_entry(s: &GivenMcpServer, secret_env: &mut BTreeMap<String, String>) -> Result<String, String> {
    let literal = |field: &str, value: &str| {
        if references(value).is_empty() {
            Ok(toml::Value::String(value.to_owned()))
        } else {
            Err(format!("MCP server '{}': codex cannot read a variable in its {field}", s.name))
        }
    };
    let mut forward = |name: &str, template: String| match secret_env.get(name) {
        // Forwarded by name, the variable is codex's own too: never one the run depends on.
        _ if name == "PATH" || crate::run_env::BASE_VARIABLES.contains(&name) => {
            Err(format!("MCP server '{}': codex passes {name} by name, which would change codex's own {name}", s.name))
        }
        Some(other) if *other != template => {
            Err(format!("MCP server '{}': codex passes {name} by name, and another server sets it differently", s.name))
        }
        _ => {
            secret_env.insert(name.to_owned(), template);
            Ok(())
        }
    };
    let mut table = toml::Table::new();
    table.insert("startup_timeout_ms".into(), toml::Value::Integer(i64::from(s.timeout_ms)));
    match s.server_type {
        McpTransport::Stdio => {
            table.insert("command".into(), literal("command", s.command.as_deref().unwrap_or_default())?);
            let args = s.args.iter().map(|a| literal("arguments", a)).collect::<Result<Vec<_>, _>>()?;
            table.insert("args".into(), toml::Value::Array(args));
            let (mut env, mut forwarded) = (toml::Table::new(), Vec::new());
            for (key, value) in &s.env {
                if references(value).is_empty() {
                    env.insert(key.clone(), toml::Value::String(value.clone()));
                } else {
                    forward(key, value.clone())?;
                    forwarded.push(toml::Value::String(key.clone()));
                }
            }
            table.insert("env".into(), toml::Value::Table(env));
            table.insert("env_vars".into(), toml::Value::Array(forwarded));
        }
        McpTransport::Http => {
            table.insert("url".into(), literal("url", s.url.as_deref().unwrap_or_default())?);
            let (mut plain, mut from_env) = (toml::Table::new(), toml::Table::new());
            for (header, value) in &s.headers {
                let names = references(value);
                let whole = |prefix: &str| names.len() == 1 && *value == format!("{prefix}${{{}}}", names[0]);
                if names.is_empty() {
                    plain.insert(header.clone(), toml::Value::String(value.clone()));
                } else if header.eq_ignore_ascii_case("authorization") && whole("Bearer ") {
                    forward(&names[0], format!("${{{}}}", names[0]))?;
                    table.insert("bearer_token_env_var".into(), toml::Value::String(names[0].clone()));
                } else if whole("") {
                    forward(&names[0], value.clone())?;
                    from_env.insert(header.clone(), toml::Value::String(names[0].clone()));
                } else {
                    return Err(format!(
                        "MCP server '{}': codex reads header {header} from a variable only as a whole value \
                         (or Authorization as `Bearer ${{NAME}}`)",
                        s.name
                    ));
                }
            }
            table.insert("http_headers".into(), toml::Value::Table(plain));
            table.insert("env_http_headers".into(), toml::Value::Table(from_env));
        }
        McpTransport::Sse => {
            return Err(format!(
                "MCP server '{}' is an sse server: codex reaches MCP servers over stdio or streamable HTTP only",
                s.name
            ));
        }
    }
    Ok(toml::Value::Table(table).to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn server(name: &str, server_type: McpTransport) -> GivenMcpServer {
        GivenMcpServer {
            id: McpServerId::generate(),
            name: name.into(),
            version: "2026-12-07T10:00:00Z".into(),
            server_type,
            command: None,
            args: vec![],
            env: BTreeMap::new(),
            url: None,
            headers: BTreeMap::new(),
            timeout_ms: 20_000,
        }
    }

    fn stdio() -> GivenMcpServer {
        GivenMcpServer {
            command: Some("npx".into()),
            args: vec!["-y".into(), "@upstash/context7-mcp".into()],
            env: BTreeMap::from([("API_KEY".into(), "${C7_KEY}".into()), ("MODE".into(), "fast".into())]),
            ..server("context7", McpTransport::Stdio)
        }
    }

    fn http() -> GivenMcpServer {
        GivenMcpServer {
            url: Some("https://api.githubcopilot.com/mcp/".into()),
            headers: BTreeMap::from([
                ("Authorization".into(), "Bearer ${GH_PAT}".into()),
                ("X-Team".into(), "core".into()),
                ("X-Key".into(), "${TEAM_KEY}".into()),
            ]),
            ..server("github", McpTransport::Http)
        }
    }

    fn both() -> RunTooling {
        RunTooling { mcp_servers: vec![stdio(), http()] }
    }

    fn json_file(m: &Materialised) -> Value {
        assert_eq!(m.files.len(), 1);
        serde_json::from_str(&m.files[0].content).expect("the file is JSON")
    }

    #[test]
    fn claude_gets_a_strict_mcp_config_with_references_left_for_it_to_expand() {
        let m = materialise(Some(BackendType::Claude), &both(), Path::new("/run")).unwrap();
        assert_eq!(m.args, ["--strict-mcp-config", "--mcp-config", "/run/claude-mcp.json"]);
        assert_eq!(
            json_file(&m),
            json!({"mcpServers": {
                "context7": {"command": "npx", "args": ["-y", "@upstash/context7-mcp"], "env": {"API_KEY": "${C7_KEY}", "MODE": "fast"}},
                "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "Bearer ${GH_PAT}", "X-Key": "${TEAM_KEY}", "X-Team": "core"}},
            }})
        );
        let names: Vec<&str> = m.secret_env.keys().map(String::as_str).collect();
        assert_eq!(names, ["C7_KEY", "GH_PAT", "TEAM_KEY"]);
    }

    #[test]
    fn gemini_gets_system_settings_and_only_the_attached_names_allowed() {
        let m = materialise(Some(BackendType::Gemini), &both(), Path::new("/run")).unwrap();
        assert_eq!(m.args, ["--allowed-mcp-server-names=context7", "--allowed-mcp-server-names=github"]);
        assert_eq!(m.env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"], "/run/gemini-settings.json");
        let settings = json_file(&m);
        assert_eq!(settings["mcpServers"]["context7"]["env"]["API_KEY"], "${C7_KEY}");
        assert_eq!(settings["mcpServers"]["github"]["httpUrl"], "https://api.githubcopilot.com/mcp/");
        assert_eq!(settings["mcpServers"]["github"]["timeout"], 20_000);
        let sse = RunTooling {
            mcp_servers: vec![GivenMcpServer { url: Some("https://x/sse".into()), ..server("old", McpTransport::Sse) }],
        };
        let m = materialise(Some(BackendType::Gemini), &sse, Path::new("/run")).unwrap();
        assert_eq!(json_file(&m)["mcpServers"]["old"]["url"], "https://x/sse");
    }

    #[test]
    fn opencode_gets_a_config_file_with_its_own_reference_syntax() {
        let m = materialise(Some(BackendType::Opencode), &both(), Path::new("/run")).unwrap();
        assert_eq!(m.env["OPENCODE_CONFIG"], "/run/opencode.json");
        assert!(m.args.is_empty());
        let config = json_file(&m);
        assert_eq!(
            config["mcp"]["context7"],
            json!({"type": "local", "command": ["npx", "-y", "@upstash/context7-mcp"], "environment": {"API_KEY": "{env:C7_KEY}", "MODE": "fast"}, "enabled": true, "timeout": 20_000})
        );
        assert_eq!(config["mcp"]["github"]["headers"]["Authorization"], "Bearer {env:GH_PAT}");
        assert_eq!(config["mcp"]["github"]["type"], "remote");
    }

    #[test]
    fn codex_gets_one_toml_override_per_server_and_variables_by_name() {
        let m = materialise(Some(BackendType::Codex), &both(), Path::new("/run")).unwrap();
        assert!(m.files.is_empty());
        let overrides: Vec<&String> = m.args.iter().skip(1).step_by(2).collect();
        assert_eq!(m.args.iter().step_by(2).collect::<Vec<_>>(), ["-c", "-c"]);
        // `-c key=value` overrides, one per line, make a TOML document of dotted keys.
        let document: Vec<&str> = overrides.iter().map(|o| o.as_str()).collect();
        let parsed: toml::Table = toml::from_str(&document.join("\n")).expect("each override is TOML");
        let servers = &parsed["mcp_servers"];
        assert_eq!(servers["context7"]["command"].as_str(), Some("npx"));
        assert_eq!(servers["context7"]["env"]["MODE"].as_str(), Some("fast"));
        assert_eq!(servers["context7"]["env_vars"].as_array().unwrap(), &vec![toml::Value::from("API_KEY")]);
        assert_eq!(servers["context7"]["startup_timeout_ms"].as_integer(), Some(20_000));
        assert_eq!(servers["github"]["bearer_token_env_var"].as_str(), Some("GH_PAT"));
        assert_eq!(servers["github"]["env_http_headers"]["X-Key"].as_str(), Some("TEAM_KEY"));
        assert_eq!(servers["github"]["http_headers"]["X-Team"].as_str(), Some("core"));
        assert_eq!(servers.as_table().unwrap().len(), 2);
        let env: Vec<(&str, &str)> = m.secret_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(env, [("API_KEY", "${C7_KEY}"), ("GH_PAT", "${GH_PAT}"), ("TEAM_KEY", "${TEAM_KEY}")]);
    }

    #[test]
    fn what_codex_cannot_take_is_refused_with_the_servers_name() {
        let codex = Some(BackendType::Codex);
        let one = |s: GivenMcpServer| materialise(codex, &RunTooling { mcp_servers: vec![s] }, Path::new("/run"));
        let sse = GivenMcpServer { url: Some("https://x/sse".into()), ..server("old", McpTransport::Sse) };
        assert!(one(sse).unwrap_err().contains("'old' is an sse server"));
        let arg = GivenMcpServer { args: vec!["--token=${T}".into()], ..stdio() };
        assert!(one(arg).unwrap_err().contains("cannot read a variable in its arguments"));
        let mut partial = http();
        partial.headers.insert("X-Key".into(), "key ${TEAM_KEY}".into());
        assert!(one(partial).unwrap_err().contains("header X-Key"));
        let home = GivenMcpServer { env: BTreeMap::from([("HOME".into(), "/srv/${USER_DIR}".into())]), ..stdio() };
        assert!(one(home).unwrap_err().contains("would change codex's own HOME"));
        let mut twice = stdio();
        twice.name = "second".into();
        twice.env.insert("API_KEY".into(), "${OTHER}".into());
        let clash = RunTooling { mcp_servers: vec![stdio(), twice] };
        assert!(materialise(codex, &clash, Path::new("/run")).unwrap_err().contains("another server sets it"));
    }

    #[test]
    fn custom_commands_and_runs_without_tooling_get_nothing() {
        assert_eq!(materialise(None, &both(), Path::new("/run")).unwrap(), Materialised::default());
        let custom = ToolingPreview::of(None, &Resolved { tooling: both(), left_out: Vec::new() });
        assert_eq!((custom.backend.as_str(), custom.given.len()), ("custom", 0));
        assert_eq!(custom.left_out, ["everything attached: a custom command backend gets no tooling"]);
        let none = materialise(Some(BackendType::Claude), &RunTooling::default(), Path::new("/run"));
        assert_eq!(none.unwrap(), Materialised::default());
    }

    #[test]
    fn secret_values_are_resolved_for_the_run_and_a_missing_one_is_named() {
        let m =
            materialise(Some(BackendType::Codex), &RunTooling { mcp_servers: vec![stdio()] }, Path::new("/r")).unwrap();
        let values = m.secret_values(&|n| (n == "C7_KEY").then(|| "k-1".to_owned())).unwrap();
        assert_eq!(values, BTreeMap::from([("API_KEY".to_owned(), "k-1".to_owned())]));
        let missing = m.secret_values(&|_| None).unwrap_err();
        assert!(missing.contains("needs API_KEY") && missing.contains("C7_KEY is not set"), "{missing}");
        assert_eq!(both().secret_names(), ["C7_KEY", "GH_PAT", "TEAM_KEY"]);
        assert_eq!(both().given()[1].name, "github");
    }
}
