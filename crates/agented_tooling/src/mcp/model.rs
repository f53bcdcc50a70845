//! An MCP server as stored: how to start it (stdio: a command, its arguments and
//! environment) or reach it (http or sse: a URL and headers), with the original
//! platform's field names. Secrets are never values: an environment value or header
//! may name a server variable as `${NAME}`, read when a run or a test needs it.

use agented_kernel::McpServerId;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Field → why it is refused.
pub type FieldErrors = BTreeMap<String, String>;

/// The longest name (a key in every CLI's configuration).
pub const MAX_NAME_CHARS: usize = 64;
/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most arguments, environment variables or headers.
pub const MAX_ENTRIES: usize = 64;
/// The longest argument, value or URL.
pub const MAX_VALUE_CHARS: usize = 4096;
/// The default time a server gets to answer (the original's).
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

pub use agented_executions::tooling::{McpTransport, references, resolve};

/// A stored MCP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServer {
    /// `mcp-…`.
    pub id: McpServerId,
    /// Its key in every CLI's configuration: 1–64 of letters, digits, `-` and `_`, unique.
    pub name: String,
    /// Shown instead of the name.
    pub display_name: Option<String>,
    /// What it offers.
    pub description: Option<String>,
    /// How it is reached.
    pub server_type: McpTransport,
    /// stdio: the program.
    pub command: Option<String>,
    /// stdio: its arguments.
    pub args: Vec<String>,
    /// stdio: its environment; a value may name server variables as `${NAME}`.
    pub env: BTreeMap<String, String>,
    /// http, sse: where.
    pub url: Option<String>,
    /// http, sse: headers; a value may name server variables as `${NAME}`.
    pub headers: BTreeMap<String, String>,
    /// How long it gets to start and answer.
    pub timeout_ms: u32,
    /// Whether runs get it.
    pub enabled: bool,
    /// A grouping for lists (`general`, `documentation`, …).
    pub category: String,
    /// Made from a preset.
    pub is_preset: bool,
    /// Its documentation.
    pub documentation_url: Option<String>,
    /// The npm package it runs, when it is one.
    pub npm_package: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl McpServer {
    /// The server variables its environment and headers name, in order, each once.
    #[must_use]
    pub fn secret_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for value in self.env.values().chain(self.headers.values()) {
            for name in references(value) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

/// A requested server or change (`POST`, `PUT`), in the original's fields. Absent keeps;
/// `null` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct McpServerPatch {
    /// Required on create.
    pub name: Option<String>,
    /// Shown instead of the name.
    pub display_name: Option<Option<String>>,
    /// What it offers.
    pub description: Option<Option<String>>,
    /// `stdio` (default), `http` or `sse`.
    pub server_type: Option<String>,
    /// stdio: the program (required for stdio).
    pub command: Option<Option<String>>,
    /// stdio: its arguments.
    pub args: Option<Vec<String>>,
    /// stdio: its environment.
    pub env: Option<BTreeMap<String, String>>,
    /// http, sse: where (required for them).
    pub url: Option<Option<String>>,
    /// http, sse: headers.
    pub headers: Option<BTreeMap<String, String>>,
    /// 1,000–600,000 (default 30,000).
    pub timeout_ms: Option<u32>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Default `general`.
    pub category: Option<String>,
    /// Its documentation.
    pub documentation_url: Option<Option<String>>,
    /// The npm package it runs.
    pub npm_package: Option<Option<String>>,
}

/// A server's settings, checked (all but whether its name is free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpDraft {
    /// See [`McpServer`].
    pub name: String,
    /// See [`McpServer`].
    pub display_name: Option<String>,
    /// See [`McpServer`].
    pub description: Option<String>,
    /// See [`McpServer`].
    pub server_type: McpTransport,
    /// See [`McpServer`].
    pub command: Option<String>,
    /// See [`McpServer`].
    pub args: Vec<String>,
    /// See [`McpServer`].
    pub env: BTreeMap<String, String>,
    /// See [`McpServer`].
    pub url: Option<String>,
    /// See [`McpServer`].
    pub headers: BTreeMap<String, String>,
    /// See [`McpServer`].
    pub timeout_ms: u32,
    /// See [`McpServer`].
    pub enabled: bool,
    /// See [`McpServer`].
    pub category: String,
    /// See [`McpServer`].
    pub documentation_url: Option<String>,
    /// See [`McpServer`].
    pub npm_package: Option<String>,
}

impl From<&McpServer> for McpDraft {
    fn from(s: &McpServer) -> Self {
        Self {
            name: s.name.clone(),
            display_name: s.display_name.clone(),
            description: s.description.clone(),
            server_type: s.server_type,
            command: s.command.clone(),
            args: s.args.clone(),
            env: s.env.clone(),
            url: s.url.clone(),
            headers: s.headers.clone(),
            timeout_ms: s.timeout_ms,
            enabled: s.enabled,
            category: s.category.clone(),
            documentation_url: s.documentation_url.clone(),
            npm_package: s.npm_package.clone(),
        }
    }
}

impl McpServerPatch {
    /// The settings of a new server: `name` is required, the rest have defaults.
    ///
    /// # Errors
    /// Field → why, for every bad or missing field.
    pub fn create(self) -> Result<McpDraft, FieldErrors> {
        let base = McpDraft {
            name: String::new(),
            display_name: None,
            description: None,
            server_type: McpTransport::Stdio,
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            url: None,
            headers: BTreeMap::new(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            enabled: true,
            category: "general".into(),
            documentation_url: None,
            npm_package: None,
        };
        let mut errors = FieldErrors::new();
        if self.name.is_none() {
            errors.insert("name".into(), "is required".into());
        }
        self.apply_checked(base, errors)
    }

    /// `current` changed by this patch.
    ///
    /// # Errors
    /// Field → why, for every bad field.
    pub fn apply(self, current: &McpServer) -> Result<McpDraft, FieldErrors> {
        self.apply_checked(McpDraft::from(current), FieldErrors::new())
    }

    fn apply_checked(self, mut d: McpDraft, mut errors: FieldErrors) -> Result<McpDraft, FieldErrors> {
        let text = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if let Some(name) = self.name {
            d.name = name.trim().to_owned();
        }
        if let Some(v) = self.display_name {
            d.display_name = text(v);
        }
        if let Some(v) = self.description {
            d.description = text(v);
        }
        if let Some(t) = self.server_type {
            match McpTransport::parse(&t) {
                Ok(t) => d.server_type = t,
                Err(e) => {
                    errors.insert("server_type".into(), e);
                }
            }
        }
        if let Some(v) = self.command {
            d.command = text(v);
        }
        if let Some(v) = self.args {
            d.args = v;
        }
        if let Some(v) = self.env {
            d.env = v;
        }
        if let Some(v) = self.url {
            d.url = text(v);
        }
        if let Some(v) = self.headers {
            d.headers = v;
        }
        if let Some(v) = self.timeout_ms {
            d.timeout_ms = v;
        }
        if let Some(v) = self.enabled {
            d.enabled = v;
        }
        if let Some(v) = self.category {
            d.category = v.trim().to_owned();
        }
        if let Some(v) = self.documentation_url {
            d.documentation_url = text(v);
        }
        if let Some(v) = self.npm_package {
            d.npm_package = text(v);
        }
        check(&d, &mut errors);
        if errors.is_empty() { Ok(d) } else { Err(errors) }
    }
}

fn check(d: &McpDraft, errors: &mut FieldErrors) {
    let mut refuse = |field: &str, why: String| {
        errors.entry(field.to_owned()).or_insert(why);
    };
    if d.name.is_empty()
        || d.name.chars().count() > MAX_NAME_CHARS
        || !d.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        refuse("name", format!("must be 1 to {MAX_NAME_CHARS} of letters, digits, '-' and '_'"));
    }
    if d.description.as_ref().is_some_and(|t| t.chars().count() > MAX_DESCRIPTION_CHARS) {
        refuse("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters"));
    }
    if d.category.is_empty() || d.category.chars().count() > MAX_NAME_CHARS {
        refuse("category", format!("must be 1 to {MAX_NAME_CHARS} characters"));
    }
    if !(1_000..=600_000).contains(&d.timeout_ms) {
        refuse("timeout_ms", "must be 1000 to 600000".into());
    }
    match d.server_type {
        McpTransport::Stdio => {
            if d.command.is_none() {
                refuse("command", "is required for a stdio server".into());
            }
            if d.url.is_some() {
                refuse("url", "is for http and sse servers; a stdio server has a command".into());
            }
            if !d.headers.is_empty() {
                refuse("headers", "are for http and sse servers".into());
            }
        }
        McpTransport::Http | McpTransport::Sse => {
            match d.url.as_deref() {
                None => refuse("url", "is required for an http or sse server".into()),
                Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
                    refuse("url", "must be an http or https URL".into());
                }
                Some(_) => {}
            }
            if d.command.is_some() || !d.args.is_empty() || !d.env.is_empty() {
                refuse(
                    "command",
                    "command, args and env are for stdio servers; an http or sse server has a url".into(),
                );
            }
        }
    }
    if let Some(why) = values_problem(d.args.iter(), false) {
        refuse("args", why);
    }
    if let Some(why) = map_problem(&d.env, true) {
        refuse("env", why);
    }
    if let Some(why) = map_problem(&d.headers, false) {
        refuse("headers", why);
    }
    for (field, value) in [("command", &d.command), ("url", &d.url), ("documentation_url", &d.documentation_url)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_VALUE_CHARS || v.chars().any(char::is_control)) {
            refuse(field, format!("must be at most {MAX_VALUE_CHARS} characters, without control characters"));
        }
    }
}

/// Why a list of values is refused: too many, too long, control characters, or a
/// `${NAME}` reference that is not a variable name or names one of the server's own.
fn values_problem<'a>(values: impl ExactSizeIterator<Item = &'a String>, allow_newlines: bool) -> Option<String> {
    if values.len() > MAX_ENTRIES {
        return Some(format!("at most {MAX_ENTRIES} entries"));
    }
    for value in values {
        if value.chars().count() > MAX_VALUE_CHARS
            || value.chars().any(|c| c.is_control() && !(allow_newlines && c == '\n'))
        {
            return Some(format!("each value at most {MAX_VALUE_CHARS} characters, without control characters"));
        }
        for name in references(value) {
            if !is_env_name(&name) {
                return Some(format!("'${{{name}}}' does not name an environment variable"));
            }
            if let Some(why) = agented_executions::run_env::refusal(&name) {
                return Some(why);
            }
        }
    }
    None
}

fn map_problem(map: &BTreeMap<String, String>, env_names: bool) -> Option<String> {
    for key in map.keys() {
        let ok = if env_names {
            is_env_name(key)
        } else {
            !key.is_empty()
                && key.len() <= 128
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !ok {
            return Some(format!("'{key}' is not a valid {}", if env_names { "variable name" } else { "header name" }));
        }
        if env_names && let Some(why) = agented_executions::run_env::refusal(key) {
            return Some(why);
        }
    }
    values_problem(map.values(), false)
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> McpServerPatch {
        serde_json::from_str(json).expect("json")
    }

    #[test]
    fn a_stdio_and_an_http_server_take_the_originals_fields_with_defaults() {
        let stdio = patch(
            r#"{"name":"docs","command":"npx","args":["-y","@acme/docs-mcp"],"env":{"DOCS_TOKEN":"${DOCS_TOKEN}"}}"#,
        )
        .create()
        .expect("valid");
        assert_eq!((stdio.server_type, stdio.timeout_ms, stdio.enabled), (McpTransport::Stdio, 30_000, true));
        assert_eq!(stdio.category, "general");
        let http = patch(
            r#"{"name":"metrics-http","server_type":"http","url":"https://metrics.example/mcp","headers":{"Authorization":"Bearer ${METRICS_TOKEN}"},"timeout_ms":45000}"#,
        )
        .create()
        .expect("valid");
        assert_eq!((http.server_type, http.timeout_ms), (McpTransport::Http, 45_000));
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = patch("{}").create().expect_err("no name");
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["command", "name"]);
        let errors =
            patch(r#"{"name":"a b","server_type":"ws","timeout_ms":5,"env":{"1X":"v"},"headers":{"Bad Header":"x"}}"#)
                .create()
                .expect_err("bad");
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["command", "env", "headers", "name", "server_type", "timeout_ms"]
        );
        let http = patch(r#"{"name":"h","server_type":"http","url":"ftp://x","command":"npx"}"#).create();
        assert_eq!(http.expect_err("bad").keys().collect::<Vec<_>>(), ["command", "url"]);
        let secret = patch(r#"{"name":"s","command":"x","env":{"K":"${AGENTED_API_KEY}"}}"#).create();
        assert!(secret.expect_err("server secret")["env"].contains("server's own variables"));
        let named = patch(r#"{"name":"s","command":"x","env":{"SECRET_KEY":"v"}}"#).create();
        assert!(named.expect_err("server secret")["env"].contains("SECRET_KEY"));
        let bad_ref = patch(r#"{"name":"s","command":"x","args":["${not a name}"]}"#).create();
        assert!(bad_ref.expect_err("ref")["args"].contains("does not name"));
    }

    #[test]
    fn references_are_found_and_resolved_from_the_servers_environment() {
        assert_eq!(references("Bearer ${A} and ${B_2}"), ["A", "B_2"]);
        let lookup = |n: &str| (n == "A").then(|| "secret".to_owned());
        assert_eq!(resolve("Bearer ${A}!", &lookup), Ok("Bearer secret!".to_owned()));
        assert_eq!(resolve("${B}", &lookup), Err("B is not set in the server's environment".to_owned()));
        assert_eq!(resolve("plain $HOME {x}", &lookup), Ok("plain $HOME {x}".to_owned()));
    }
}
