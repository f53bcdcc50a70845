//! The MCP handshake a test performs, whatever the transport: `initialize`, the
//! `notifications/initialized` notice, then `tools/list` page by page. Transports
//! (a process's stdio, streamable HTTP) are adapters behind [`Exchange`].

use async_trait::async_trait;
use serde_json::{Value, json};

/// The protocol revision Agented asks for.
pub const PROTOCOL_VERSION: &str = "2025-06-18";
/// Most `tools/list` pages read.
const MAX_PAGES: usize = 20;

/// A tool a server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpTool {
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
}

/// What the handshake learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// `serverInfo.name`.
    pub server_name: String,
    /// `serverInfo.version`.
    pub server_version: Option<String>,
    /// The revision the server chose.
    pub protocol_version: String,
    /// Its tools.
    pub tools: Vec<McpTool>,
}

/// One JSON-RPC conversation with a server.
#[async_trait]
pub trait Exchange: Send {
    /// Sends request `message` and returns the response with its id.
    ///
    /// # Errors
    /// MUST return why no response came (the process ended, the connection failed,
    /// a malformed answer), in words for the person testing.
    async fn request(&mut self, message: Value) -> Result<Value, String>;

    /// Sends notification `message` (no response).
    ///
    /// # Errors
    /// As [`Exchange::request`].
    async fn notify(&mut self, message: Value) -> Result<(), String>;
}

/// Performs the handshake over `exchange`.
///
/// # Errors
/// Why it failed: the server's JSON-RPC error, or an answer that is not MCP.
pub async fn handshake(exchange: &mut dyn Exchange) -> Result<Handshake, String> {
    let init = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": { "name": "agented", "version": env!("CARGO_PKG_VERSION") },
        },
    });
    let result = result_of(exchange.request(init).await?, "initialize")?;
    let protocol_version = result["protocolVersion"]
        .as_str()
        .ok_or("the initialize answer has no protocolVersion: not an MCP server")?
        .to_owned();
    let server_name = result["serverInfo"]["name"].as_str().unwrap_or("unnamed").to_owned();
    let server_version = result["serverInfo"]["version"].as_str().map(str::to_owned);
    exchange.notify(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await?;
    let mut tools = Vec::new();
    if result["capabilities"].get("tools").is_some() {
        let mut cursor: Option<String> = None;
        for page in 0..MAX_PAGES {
            let params = cursor.as_ref().map_or_else(|| json!({}), |c| json!({ "cursor": c }));
            let id = u64::try_from(page).unwrap_or(0) + 2;
            let listed = result_of(
                exchange
                    .request(json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params }))
                    .await?,
                "tools/list",
            )?;
            let page_tools = listed["tools"].as_array().ok_or("the tools/list answer has no tools array")?;
            tools.extend(page_tools.iter().filter_map(|t| {
                Some(McpTool {
                    name: t["name"].as_str()?.to_owned(),
                    description: t["description"].as_str().map(str::to_owned),
                })
            }));
            cursor = listed["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
    }
    Ok(Handshake { server_name, server_version, protocol_version, tools })
}

/// The `result` of `response`, or its JSON-RPC error in words.
fn result_of(response: Value, method: &str) -> Result<Value, String> {
    if let Some(error) = response.get("error") {
        let message = error["message"].as_str().unwrap_or("no message");
        return Err(format!("{method} failed: {message} (code {})", error["code"]));
    }
    response.get("result").cloned().ok_or_else(|| format!("the {method} answer has no result: not JSON-RPC"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers requests from a script and keeps what was sent.
    struct Scripted(VecDeque<Value>, Vec<Value>);

    #[async_trait]
    impl Exchange for Scripted {
        async fn request(&mut self, message: Value) -> Result<Value, String> {
            self.1.push(message);
            self.0.pop_front().ok_or_else(|| "the server closed its output".to_owned())
        }
        async fn notify(&mut self, message: Value) -> Result<(), String> {
            self.1.push(message);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_server_is_initialised_and_its_tools_listed_page_by_page() {
        let mut s = Scripted(
            VecDeque::from([
                json!({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"docs","version":"1.2"}}}),
                json!({"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"search","description":"Finds"}],"nextCursor":"p2"}}),
                json!({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"read"}]}}),
            ]),
            Vec::new(),
        );
        let done = handshake(&mut s).await.expect("handshake");
        assert_eq!((done.server_name.as_str(), done.server_version.as_deref()), ("docs", Some("1.2")));
        assert_eq!(done.tools.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["search", "read"]);
        let methods: Vec<&str> = s.1.iter().map(|m| m["method"].as_str().unwrap_or_default()).collect();
        assert_eq!(methods, ["initialize", "notifications/initialized", "tools/list", "tools/list"]);
        assert_eq!(s.1[3]["params"]["cursor"], "p2");
    }

    #[tokio::test]
    async fn an_error_or_a_foreign_answer_is_said_plainly() {
        let mut refusing = Scripted(
            VecDeque::from([json!({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}})]),
            vec![],
        );
        assert_eq!(handshake(&mut refusing).await, Err("initialize failed: nope (code -32601)".into()));
        let mut foreign = Scripted(VecDeque::from([json!({"jsonrpc":"2.0","id":1,"result":{}})]), vec![]);
        assert!(handshake(&mut foreign).await.unwrap_err().contains("not an MCP server"));
        let mut silent = Scripted(VecDeque::new(), vec![]);
        assert_eq!(handshake(&mut silent).await, Err("the server closed its output".into()));
    }
}
