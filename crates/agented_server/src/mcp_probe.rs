//! How an MCP server is reached for its test: a stdio server is started by the runner's
//! `mcp_stdio` with what a run's environment would hold; a streamable-HTTP server is
//! POSTed JSON-RPC here (answers as JSON or as an event stream, the session id kept).

use agented_tooling::{Exchange, Handshake, McpProbe, McpTransport, ProbeTarget, handshake};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// Reaches servers for tests.
pub struct McpProbes {
    /// `PATH` of a stdio server (the runs').
    pub path_env: OsString,
    /// The allowlisted environment every run gets.
    pub base_env: BTreeMap<String, String>,
    /// Where a stdio server starts.
    pub cwd: PathBuf,
    /// The HTTP client (no redirects).
    pub http: reqwest::Client,
}

#[async_trait]
impl McpProbe for McpProbes {
    async fn handshake(&self, target: &ProbeTarget) -> Result<Handshake, String> {
        match target.transport {
            McpTransport::Stdio => {
                tokio::fs::create_dir_all(&self.cwd).await.map_err(|e| {
                    format!("the folder a stdio server starts in ({}) cannot be made: {e}", self.cwd.display())
                })?;
                agented_runner::mcp_stdio::stdio_handshake(target, &self.path_env, &self.base_env, &self.cwd).await
            }
            McpTransport::Http => {
                let url = target.url.clone().ok_or("an http server needs a url")?;
                let mut exchange =
                    HttpExchange { http: &self.http, url: &url, headers: &target.headers, session: None };
                match tokio::time::timeout(target.timeout, handshake(&mut exchange)).await {
                    Ok(done) => done.map_err(|why| format!("{url} failed the MCP handshake: {why}")),
                    Err(_) => Err(format!(
                        "{url} did not complete the MCP handshake within {} ms",
                        target.timeout.as_millis()
                    )),
                }
            }
            McpTransport::Sse => Err("testing an sse server is not supported yet: Agented tests stdio and \
                                      streamable-HTTP (http) servers; most sse servers also answer as http"
                .into()),
        }
    }
}

struct HttpExchange<'a> {
    http: &'a reqwest::Client,
    url: &'a str,
    headers: &'a BTreeMap<String, String>,
    session: Option<String>,
}

impl HttpExchange<'_> {
    async fn post(&mut self, message: &Value) -> Result<reqwest::Response, String> {
        let mut request = self
            .http
            .post(self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(message.to_string());
        for (name, value) in self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session.as_str());
        }
        let answer = request.send().await.map_err(|e| format!("no answer: {}", crate::notify::root_cause(&e)))?;
        if !answer.status().is_success() {
            return Err(format!("it answered HTTP {}", answer.status().as_u16()));
        }
        if let Some(session) = answer.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.session = Some(session.to_owned());
        }
        Ok(answer)
    }
}

#[async_trait]
impl Exchange for HttpExchange<'_> {
    async fn request(&mut self, message: Value) -> Result<Value, String> {
        let answer = self.post(&message).await?;
        let stream = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        let body =
            answer.text().await.map_err(|e| format!("reading its answer failed: {}", crate::notify::root_cause(&e)))?;
        let not_mcp = || {
            let quoted: String = body.chars().take(120).collect();
            format!("it answered {quoted:?}, which is not MCP's JSON-RPC")
        };
        if !stream {
            return serde_json::from_str(&body).map_err(|_| not_mcp());
        }
        // An event stream: the answer is the event whose data carries our id.
        body.split("\n\n")
            .filter_map(|event| {
                let data: String = event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
                serde_json::from_str::<Value>(&data).ok()
            })
            .find(|v| v.get("id") == message.get("id") && v.get("method").is_none())
            .ok_or_else(not_mcp)
    }

    async fn notify(&mut self, message: Value) -> Result<(), String> {
        self.post(&message).await.map(drop)
    }
}
