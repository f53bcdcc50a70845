//! How an MCP server is reached for its test: a stdio server is started by the runner's
//! `mcp_stdio` with what a run's environment would hold; a streamable-HTTP server is
//! POSTed JSON-RPC here (answers as JSON or as an event stream, the session id kept); an
//! sse server (the older transport) is listened to on its event stream, which names the
//! URL messages are POSTed to and carries the answers.

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
            remote => {
                let url = target.url.clone().ok_or("a remote server needs a url")?;
                let attempt = async {
                    if remote == McpTransport::Sse {
                        let mut exchange = SseExchange::open(&self.http, &url, &target.headers).await?;
                        handshake(&mut exchange).await
                    } else {
                        let mut exchange =
                            HttpExchange { http: &self.http, url: &url, headers: &target.headers, session: None };
                        handshake(&mut exchange).await
                    }
                };
                match tokio::time::timeout(target.timeout, attempt).await {
                    Ok(done) => done.map_err(|why| format!("{url} failed the MCP handshake: {why}")),
                    Err(_) => Err(format!(
                        "{url} did not complete the MCP handshake within {} ms",
                        target.timeout.as_millis()
                    )),
                }
            }
        }
    }
}

/// A POST of `message` to `url` with the server's headers.
fn post(
    http: &reqwest::Client,
    url: &str,
    headers: &BTreeMap<String, String>,
    message: &Value,
) -> reqwest::RequestBuilder {
    let mut request = http
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(message.to_string());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request
}

/// One server-sent event: its name (`message` unless named) and its data lines joined.
fn event(block: &str) -> (String, String) {
    let mut name = "message".to_owned();
    let mut data = Vec::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            v.trim().clone_into(&mut name);
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    (name, data.join("\n"))
}

/// Whether `value` answers the request `message`.
fn answers(value: &Value, message: &Value) -> bool {
    value.get("id") == message.get("id") && value.get("method").is_none()
}

fn no_answer(e: &reqwest::Error) -> String {
    format!("no answer: {}", crate::notify::root_cause(e))
}

/// The older sse transport: a GET event stream whose first `endpoint` event names the
/// URL (same origin) requests are POSTed to; answers come back on the stream.
struct SseExchange<'a> {
    http: &'a reqwest::Client,
    headers: &'a BTreeMap<String, String>,
    stream: reqwest::Response,
    buffer: String,
    endpoint: String,
}

impl<'a> SseExchange<'a> {
    async fn open(http: &'a reqwest::Client, url: &str, headers: &'a BTreeMap<String, String>) -> Result<Self, String> {
        let mut request = http.get(url).header("accept", "text/event-stream");
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let stream = request.send().await.map_err(|e| no_answer(&e))?;
        if !stream.status().is_success() {
            return Err(format!("it answered HTTP {}", stream.status().as_u16()));
        }
        let mut exchange = Self { http, headers, stream, buffer: String::new(), endpoint: String::new() };
        let (name, data) = exchange.next_event().await?;
        if name != "endpoint" {
            return Err(format!("its event stream began with '{name}', not the 'endpoint' an sse server sends"));
        }
        let base = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
        let endpoint = base.join(data.trim()).map_err(|_| format!("its endpoint {data:?} is not a URL"))?;
        if endpoint.origin() != base.origin() {
            return Err(format!("its endpoint {endpoint} is on another origin than {url}"));
        }
        exchange.endpoint = endpoint.to_string();
        Ok(exchange)
    }

    async fn next_event(&mut self) -> Result<(String, String), String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().any(|l| l.starts_with("data:") || l.starts_with("event:")) {
                    return Ok(event(&block));
                }
                continue;
            }
            match self.stream.chunk().await {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n")),
                Ok(None) => return Err("its event stream ended".into()),
                Err(e) => return Err(format!("its event stream broke: {}", crate::notify::root_cause(&e))),
            }
        }
    }

    async fn send(&self, message: &Value) -> Result<(), String> {
        let answer = post(self.http, &self.endpoint, self.headers, message).send().await.map_err(|e| no_answer(&e))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("it answered HTTP {}", answer.status().as_u16()))
        }
    }
}

#[async_trait]
impl Exchange for SseExchange<'_> {
    async fn request(&mut self, message: Value) -> Result<Value, String> {
        self.send(&message).await?;
        loop {
            let (name, data) = self.next_event().await?;
            if name != "message" {
                continue;
            }
            let value: Value = serde_json::from_str(&data).map_err(|_| {
                format!("it sent {:?}, which is not MCP's JSON-RPC", data.chars().take(120).collect::<String>())
            })?;
            if answers(&value, &message) {
                return Ok(value);
            }
        }
    }

    async fn notify(&mut self, message: Value) -> Result<(), String> {
        self.send(&message).await
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
        let mut request = post(self.http, self.url, self.headers, message);
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session.as_str());
        }
        let answer = request.send().await.map_err(|e| no_answer(&e))?;
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
        body.replace("\r\n", "\n")
            .split("\n\n")
            .filter_map(|block| serde_json::from_str::<Value>(&event(block).1).ok())
            .find(|v| answers(v, &message))
            .ok_or_else(not_mcp)
    }

    async fn notify(&mut self, message: Value) -> Result<(), String> {
        self.post(&message).await.map(drop)
    }
}
