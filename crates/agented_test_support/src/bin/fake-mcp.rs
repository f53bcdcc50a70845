//! A small MCP server on stdio for tests: it answers `initialize` and `tools/list`
//! (two pages), says something on stderr and sends a log notification first, as real
//! servers do. A tool's description carries `FAKE_MCP_GREETING`, to show which
//! environment it was started with.

use serde_json::{Value, json};
use std::io::{BufRead, Write};

fn main() {
    eprintln!("fake-mcp: listening on stdio");
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(request) = serde_json::from_str::<Value>(&line) else { continue };
        let id = request["id"].clone();
        let result = match request["method"].as_str() {
            Some("initialize") => json!({
                "protocolVersion": request["params"]["protocolVersion"],
                "capabilities": { "tools": { "listChanged": false } },
                "serverInfo": { "name": "fake-mcp", "version": "0.1.0" },
            }),
            Some("tools/list") if request["params"]["cursor"].is_null() => json!({
                "tools": [{ "name": "greet", "description": format!("Says {}",
                    std::env::var("FAKE_MCP_GREETING").unwrap_or_else(|_| "nothing".into())),
                    "inputSchema": { "type": "object" } }],
                "nextCursor": "page-2",
            }),
            Some("tools/list") => json!({ "tools": [{ "name": "add", "inputSchema": { "type": "object" } }] }),
            // Notifications get no answer.
            _ if id.is_null() => continue,
            _ => {
                let error =
                    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32601, "message": "method not found" } });
                let _ = writeln!(out, "{error}");
                let _ = out.flush();
                continue;
            }
        };
        let log = json!({ "jsonrpc": "2.0", "method": "notifications/message", "params": { "level": "info", "data": "answering" } });
        let _ = writeln!(out, "{log}");
        let _ = writeln!(out, "{}", json!({ "jsonrpc": "2.0", "id": id, "result": result }));
        let _ = out.flush();
    }
}
