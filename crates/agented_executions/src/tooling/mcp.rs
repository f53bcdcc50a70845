//! MCP servers as runs are given them, and each CLI's entry for one.

use agented_kernel::McpServerId;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

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
    pub(super) fn texts(&self) -> impl Iterator<Item = &String> {
        self.command.iter().chain(&self.args).chain(self.env.values()).chain(&self.url).chain(self.headers.values())
    }
}

/// claude `--mcp-config`: `command`/`args`/`env`, or `type` with `url`/`headers`; `${NAME}` expanded by claude.
pub(super) fn claude_entry(s: &GivenMcpServer) -> Value {
    match s.server_type {
        McpTransport::Stdio => json!({ "command": s.command, "args": s.args, "env": s.env }),
        remote => json!({ "type": remote.as_str(), "url": s.url, "headers": s.headers }),
    }
}

/// gemini `mcpServers`: `command`/`args`/`env`, `httpUrl` (streamable) or `url` (sse),
/// `headers`, `timeout` in ms; `${NAME}` expanded by gemini.
pub(super) fn gemini_entry(s: &GivenMcpServer) -> Value {
    match s.server_type {
        McpTransport::Stdio => json!({ "command": s.command, "args": s.args, "env": s.env, "timeout": s.timeout_ms }),
        McpTransport::Http => json!({ "httpUrl": s.url, "headers": s.headers, "timeout": s.timeout_ms }),
        McpTransport::Sse => json!({ "url": s.url, "headers": s.headers, "timeout": s.timeout_ms }),
    }
}

/// opencode `mcp`: `local` with the command as an array and `environment`, or `remote`
/// with `url`/`headers`; references written as opencode's `{env:NAME}`.
pub(super) fn opencode_entry(s: &GivenMcpServer) -> Value {
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
pub(super) fn codex_entry(s: &GivenMcpServer, secret_env: &mut BTreeMap<String, String>) -> Result<String, String> {
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
