//! The MCP handshake with a stdio server: the program started in its own process
//! group with the run's base environment and the server's own variables, JSON-RPC a
//! line at a time on its stdin and stdout, and the whole group killed afterwards.

use crate::process::signal_group;
use agented_tooling::{Exchange, Handshake, ProbeTarget, handshake};
use async_trait::async_trait;
use nix::sys::signal::Signal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout, Command};

/// The end of a server's stderr kept to explain a failure.
const STDERR_TAIL: usize = 2000;
/// The longest line quoted back when an answer is not JSON-RPC.
const QUOTED: usize = 120;
/// Its output ended or its input closed: which comes first depends on timing, so one message.
const ENDED: &str = "it closed the conversation before answering";

struct StdioExchange {
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

#[async_trait]
impl Exchange for StdioExchange {
    async fn request(&mut self, message: Value) -> Result<Value, String> {
        let id = message["id"].clone();
        // A program that exits at once may close its input before the request is written:
        // what it printed still tells what it is, so its output is read either way.
        let _ = self.notify(message).await;
        loop {
            let line = self.stdout.next_line().await.map_err(|e| format!("reading its output failed: {e}"))?;
            let Some(line) = line else { return Err(ENDED.into()) };
            if line.trim().is_empty() {
                continue;
            }
            let answer: Value = serde_json::from_str(&line).map_err(|_| {
                let quoted: String = line.chars().take(QUOTED).collect();
                format!("it answered {quoted:?}, which is not MCP's JSON-RPC")
            })?;
            // Notifications and the server's own requests are not the answer: skip them.
            if answer.get("id") == Some(&id) && answer.get("method").is_none() {
                return Ok(answer);
            }
            if answer.get("id") == Some(&id) {
                return Err("it sent our request back instead of answering it: not an MCP server".into());
            }
        }
    }

    async fn notify(&mut self, message: Value) -> Result<(), String> {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.map_err(|_| ENDED.to_owned())?;
        self.stdin.flush().await.map_err(|_| ENDED.to_owned())
    }
}

/// Starts `target`'s command in `cwd` with `PATH` = `path_env`, `base_env` and the
/// target's environment, and performs the handshake within the target's timeout.
///
/// # Errors
/// Why it failed, naming the program: it could not start, it exited (with the end of its
/// stderr), it answered something that is not MCP, or no answer came in time.
pub async fn stdio_handshake(
    target: &ProbeTarget,
    path_env: &OsString,
    base_env: &BTreeMap<String, String>,
    cwd: &Path,
) -> Result<Handshake, String> {
    let program = target.command.clone().ok_or("a stdio server needs a command")?;
    let mut child = Command::new(&program)
        .args(&target.args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path_env)
        .envs(base_env)
        .envs(&target.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("'{program}' could not be started: {e}"))?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or(0);
    let stderr = Arc::new(Mutex::new(String::new()));
    if let Some(mut err) = child.stderr.take() {
        let kept = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut text = kept.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                let cut = text.len().saturating_sub(STDERR_TAIL);
                let cut = (cut..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
                text.drain(..cut);
            }
        });
    }
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        signal_group(pgid, Signal::SIGKILL);
        return Err(format!("'{program}' started without pipes"));
    };
    let mut exchange = StdioExchange { stdin, stdout: BufReader::new(stdout).lines() };
    let outcome = tokio::time::timeout(target.timeout, handshake(&mut exchange)).await;
    drop(exchange);
    // Whatever it started goes with it.
    signal_group(pgid, Signal::SIGKILL);
    let status = tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await;
    let said = stderr.lock().unwrap_or_else(PoisonError::into_inner).trim().to_owned();
    let with_stderr = |why: String| if said.is_empty() { why } else { format!("{why}; its stderr ended with: {said}") };
    match outcome {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(why)) => {
            let exited = match status {
                Ok(Ok(s)) if s.code().is_some() => format!(" (it exited with code {})", s.code().unwrap_or_default()),
                _ => String::new(),
            };
            Err(with_stderr(format!("'{program}' failed the MCP handshake: {why}{exited}")))
        }
        Err(_) => Err(with_stderr(format!(
            "'{program}' did not complete the MCP handshake within {} ms",
            target.timeout.as_millis()
        ))),
    }
}
